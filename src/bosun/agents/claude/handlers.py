"""The handlers behind `bosun claude-hook <event>`, against Claude Code's documented hook
contract (shared/reference: stdin JSON per event; stdout JSON; exit 0).

Every handler fails open: when bosun itself is broken (no project, bad store, garbage on
stdin) it prints nothing and exits 0, so a hook never stops a person's agent from working
(principle 7). A handler returns `(stdout_text, exit_code)`; the CLI writes them.

What the handlers need from layers above the fleet is registered by their caller: the
`bosun claude-hook` command passes the sentinel's turn observer (`observe_turn`), which the
Stop handler feeds the agent's last message.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bosun.base.errors import BosunError
from bosun.base.paths import atomic_write_json
from bosun.core.prime import build_prime, next_steps
from bosun.core.records import Hook, Identity, Phase
from bosun.gitops.git import Git

if TYPE_CHECKING:
    from bosun.core.context import Context

logger = logging.getLogger("bosun.claude")
Result = tuple[str, int]
QUIET: Result = ("", 0)
# Phases in which the agent itself still has work to do: Stop is blocked in these.
MUST_CONTINUE = frozenset({Phase.ASSIGNED, Phase.EXECUTING, Phase.IMPL_COMPLETE})
EVENTS = ("SessionStart", "PreCompact", "Stop", "UserPromptSubmit", "Notification", "statusline")


class TurnObserver(Protocol):
    """Told each finished turn of an agent (its last assistant message); must not raise."""

    def __call__(self, ctx: Context, identity: str, text: str) -> None: ...


def ignore_turn(ctx: Context, identity: str, text: str) -> None:
    """The observer when the caller registers none."""


def parse_payload(raw: str) -> dict[str, Any] | None:
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def handle(
    event: str,
    raw: str,
    env: Mapping[str, str],
    open_ctx: Callable[[], Context],
    *,
    observe_turn: TurnObserver = ignore_turn,
) -> Result:
    """Run the handler for `event`; never raises, never blocks on bosun's own failures."""
    payload = parse_payload(raw)
    ref = env.get("BOSUN_IDENTITY", "")
    if payload is None or "/" not in ref or event not in HANDLERS:
        return QUIET if event != "statusline" else (_statusline_text(ref, None), 0)
    role, name = ref.split("/", 1)
    try:
        ctx = open_ctx()
    except BosunError as exc:
        logger.warning("claude-hook %s: %s", event, exc.message)
        return QUIET
    try:
        handler = HANDLERS[event]
        if handler is stop:
            handler = functools.partial(stop, observe_turn=observe_turn)
        return handler(ctx, role, name, payload)
    except BosunError as exc:
        logger.warning("claude-hook %s for %s: %s", event, ref, exc.message)
        return QUIET
    except Exception:  # noqa: BLE001 - fail open: never break the agent on our bug
        logger.exception("claude-hook %s for %s failed", event, ref)
        return QUIET
    finally:
        ctx.close()


def _json(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"))


def session_start(ctx: Context, role: str, name: str, payload: dict[str, Any]) -> Result:
    """Prime the new context (startup, resume, clear or compact) and record the session id."""
    session_id = payload.get("session_id")
    ctx.identities.create(
        role, name, session_id=session_id if isinstance(session_id, str) and session_id else None
    )
    ctx.identities.heartbeat(role, name)
    block = build_prime(ctx, role, name)
    with ctx.store.transaction() as tx:
        tx.emit(
            "claude.session_start",
            f"{role}/{name}",
            {"source": str(payload.get("source", "")), "session_id": session_id},
        )
    return _json(
        {
            "hookSpecificOutput": {
                "hookEventName": "SessionStart",
                "additionalContext": block.render(),
            }
        }
    ), 0


def pre_compact(ctx: Context, role: str, name: str, payload: dict[str, Any]) -> Result:
    """Checkpoint the hook before the context is compacted (never blocks compaction)."""
    trigger = str(payload.get("trigger", "auto"))
    if ctx.hooks.find(role, name) is not None:
        ctx.hooks.checkpoint(role, name, f"checkpoint before {trigger} compaction")
    ctx.identities.heartbeat(role, name)
    return QUIET


def stop(
    ctx: Context,
    role: str,
    name: str,
    payload: dict[str, Any],
    *,
    observe_turn: TurnObserver = ignore_turn,
) -> Result:
    """The stop gate: keep the agent working while its hook holds work it must still do."""
    ref = f"{role}/{name}"
    message = payload.get("last_assistant_message")
    if isinstance(message, str) and message:
        observe_turn(ctx, ref, message)
    ctx.identities.heartbeat(role, name)
    if payload.get("stop_hook_active") is True or not ctx.config.flag("claude.stop_gate"):
        _reset_blocks(ctx, ref)
        return QUIET
    hook = ctx.hooks.find(role, name)
    if hook is None or hook.phase not in MUST_CONTINUE:
        _reset_blocks(ctx, ref)
        return QUIET
    blocks = _count_blocks(ctx, ref)
    if blocks >= ctx.config.integer("claude.stop_gate_max_blocks"):
        with ctx.store.transaction() as tx:
            tx.emit(
                "claude.stop_allowed",
                ref,
                {
                    "reason": "max consecutive blocks reached",
                    "blocks": blocks,
                    "phase": str(hook.phase),
                },
            )
        _reset_blocks(ctx, ref)
        return QUIET
    reason = stop_reason(ctx.identities.get(role, name), hook)
    with ctx.store.transaction() as tx:
        tx.emit(
            "claude.stop_blocked",
            ref,
            {"phase": str(hook.phase), "block": blocks + 1, "work_id": hook.work_id},
        )
    return _json({"decision": "block", "reason": reason}), 0


def stop_reason(identity: Identity, hook: Hook) -> str:
    """Why the agent may not stop yet, and the next real step of its phase (the same
    steps `bosun prime` gives), with the branch it offers to the merge queue."""
    steps = " ".join(next_steps(identity, hook, _branch_of(identity)))
    return (
        f"Your hook still holds unfinished work: {hook.summary or hook.work_id} "
        f"(phase {hook.phase}). Next: {steps} "
        "If you cannot go on, record why and move the hook to blocked "
        f"(`bosun hook update-phase {identity.role} {identity.name} blocked`), "
        "or hand off with `bosun handoff`."
    )


def _branch_of(identity: Identity) -> str | None:
    """The branch checked out in the identity's worktree; None when there is none."""
    if not identity.worktree or not Path(identity.worktree).is_dir():
        return None
    found = Git(identity.worktree).try_run("symbolic-ref", "--quiet", "--short", "HEAD")
    return found.stdout.strip() or None if found.ok else None


def user_prompt_submit(ctx: Context, role: str, name: str, payload: dict[str, Any]) -> Result:
    """The agent is busy now; unread signals are added to its context (and acknowledged)."""
    ref = f"{role}/{name}"
    ctx.identities.heartbeat(role, name)
    unread = ctx.signals.list(to=ref, unread=True)
    with ctx.store.transaction() as tx:
        tx.emit("claude.prompt_submitted", ref, {"unread_signals": len(unread)})
    if not unread:
        return QUIET
    lines = ["bosun: unread signals for you:"]
    for sig in unread:
        sender = f" from {sig.sender}" if sig.sender else ""
        lines.append(f"- {sig.type}{sender}: {json.dumps(sig.payload, sort_keys=True)}")
        ctx.signals.ack(sig.id)
    return _json(
        {
            "hookSpecificOutput": {
                "hookEventName": "UserPromptSubmit",
                "additionalContext": "\n".join(lines),
            }
        }
    ), 0


def notification(ctx: Context, role: str, name: str, payload: dict[str, Any]) -> Result:
    """Record that the agent waits: idle at its prompt, or on a permission prompt."""
    kind = str(payload.get("notification_type", ""))
    with ctx.store.transaction() as tx:
        tx.emit(
            "claude.notification",
            f"{role}/{name}",
            {
                "type": kind,
                "waiting": kind in ("permission_prompt", "idle_prompt"),
                "message": str(payload.get("message", ""))[:500],
            },
        )
    return QUIET


def statusline(ctx: Context, role: str, name: str, payload: dict[str, Any]) -> Result:
    """Record `context_window` for the supervisor; print a one-line status."""
    window = payload.get("context_window")
    pct = None
    if isinstance(window, dict) and ctx.paths is not None:
        atomic_write_json(ctx.paths.context_file(role, name), window)
        used = window.get("used_percentage")
        pct = float(used) if isinstance(used, int | float) else None
    return _statusline_text(f"{role}/{name}", pct), 0


def _statusline_text(ref: str, pct: float | None) -> str:
    label = ref or "no bosun identity"
    return f"bosun {label}" + (f" · ctx {pct:.0f}%" if pct is not None else "")


def _count_blocks(ctx: Context, ref: str) -> int:
    """Consecutive Stop blocks since the gate last let this identity stop."""
    count = 0
    for event in reversed(ctx.events.tail(50, subject=ref)):
        if event.kind == "claude.stop_blocked":
            count += 1
        elif event.kind in ("claude.stop_allowed", "hook.phase", "claude.session_start"):
            break
    return count


def _reset_blocks(ctx: Context, ref: str) -> None:
    if _count_blocks(ctx, ref):
        with ctx.store.transaction() as tx:
            tx.emit("claude.stop_allowed", ref, {"reason": "no unfinished work to continue"})


HANDLERS: dict[str, Callable[[Context, str, str, dict[str, Any]], Result]] = {
    "SessionStart": session_start,
    "PreCompact": pre_compact,
    "Stop": stop,
    "UserPromptSubmit": user_prompt_submit,
    "Notification": notification,
    "statusline": statusline,
}

assert set(HANDLERS) == set(EVENTS)
