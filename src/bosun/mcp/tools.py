"""What the MCP tools do, as plain functions of (context, caller, arguments) → JSON data.

The caller is the identity bosun gave the session (`BOSUN_IDENTITY`); None means an operator
ran the server by hand. Every call counts as the caller's heartbeat, as every `bosun` CLI call
does. Errors are `BosunError`s; the server turns them into tool errors with the hint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bosun.base.errors import BosunError, InvalidInput
from bosun.base.names import split_identity
from bosun.core.threads import Threads
from bosun.triggers.trigger import trigger_participant

if TYPE_CHECKING:
    from bosun.core.context import Context


def _need_identity(me: str | None, tool: str) -> tuple[str, str]:
    if me is None:
        raise InvalidInput(
            f"{tool} needs the caller's identity",
            "start the server with BOSUN_IDENTITY=role/name in its environment",
        )
    return split_identity(me)


def touch(ctx: Context, me: str | None) -> None:
    """The implicit heartbeat of every tool call (never fails the call itself)."""
    if me is None:
        return
    try:
        role, name = split_identity(me)
        ctx.identities.heartbeat(role, name)
    except BosunError:
        pass


def post_message(ctx: Context, me: str | None, thread: str, body: str) -> dict[str, Any]:
    return Threads(ctx).post(thread, body, author=me).to_json()


def read_thread(
    ctx: Context, me: str | None, thread: str, advance: bool = True, limit: int = 200
) -> dict[str, Any]:
    if not 1 <= limit <= 1000:
        raise InvalidInput(f"limit {limit} is out of range", "use 1 to 1000")
    messages, cursor = Threads(ctx).read(thread, me, advance=advance, limit=limit)
    return {
        "thread_id": thread,
        "reader": me,
        "cursor": cursor,
        "messages": [m.to_json() for m in messages],
    }


def list_unread(ctx: Context, me: str | None) -> dict[str, Any]:
    role, name = _need_identity(me, "list_unread")
    views = Threads(ctx).unread_for(f"{role}/{name}")
    return {
        "participant": me,
        "threads": [v.to_json() for v in views],
        "total_unread": sum(v.unread for v in views),
    }


def trigger(
    ctx: Context,
    me: str | None,
    participant: str,
    thread: str,
    reason: str | None = None,
    force: bool = False,
    why: str | None = None,
) -> dict[str, Any]:
    envelope = trigger_participant(
        ctx, target=participant, thread_id=thread, caller=me, reason=reason, force=force, why=why
    )
    return envelope.to_json()


def hook_show(ctx: Context, me: str | None) -> dict[str, Any]:
    role, name = _need_identity(me, "hook_show")
    hook = ctx.hooks.find(role, name)
    return {"identity": me, "hook": hook.to_json() if hook else None}


def hook_update_phase(ctx: Context, me: str | None, phase: str) -> dict[str, Any]:
    role, name = _need_identity(me, "hook_update_phase")
    return ctx.hooks.update_phase(role, name, phase).to_json()


def hook_checkpoint(ctx: Context, me: str | None, note: str | None = None) -> dict[str, Any]:
    role, name = _need_identity(me, "hook_checkpoint")
    return ctx.hooks.checkpoint(role, name, note).to_json()


def signal_send(
    ctx: Context, me: str | None, to: str, type: str, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    return ctx.signals.send(to, type, payload or {}, sender=me).to_json()


def heartbeat(ctx: Context, me: str | None) -> dict[str, Any]:
    role, name = _need_identity(me, "heartbeat")
    identity = ctx.identities.heartbeat(role, name)
    return identity.to_json(ctx.clock.now())
