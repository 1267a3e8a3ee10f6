"""A graceful handoff: the work moves to a fresh session of the same identity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bosun.base.errors import BosunError
from bosun.base.names import check_text
from bosun.core.records import IdentityStatus

if TYPE_CHECKING:
    from bosun.core.context import Context


def hand_off(ctx: Context, role: str, name: str, note: str | None) -> dict[str, Any]:
    """Checkpoint the hook, leave `note` as resumption instructions, signal
    HANDOFF_REQUESTED, mark the identity handed off and end its session. The supervisor
    sees the session end and starts the successor with the seance prompt."""
    if note is not None:
        check_text(note, "note")
    ref = f"{role}/{name}"
    with ctx.store.transaction() as tx:
        ctx.identities.get_in(tx, role, name)
        hook = ctx.hooks.find_in(tx, role, name)
        if hook is not None:
            # Keep the agent's own checkpoint note: the successor resumes from it.
            ctx.hooks.checkpoint_in(tx, role, name)
            if note:
                ctx.hooks.update_resumption_in(tx, role, name, note)
        signal = ctx.signals.send_in(tx, ref, "HANDOFF_REQUESTED", {"note": note, "by": ref})
        ctx.identities.set_status_in(tx, role, name, IdentityStatus.HANDED_OFF, "handoff")
    stopped = _end_session(ctx, role, name)
    return {
        "identity": ref,
        "signal": signal.id,
        "session_ended": stopped,
        "hook": hook.work_id if hook else None,
    }


def _end_session(ctx: Context, role: str, name: str) -> bool:
    """Stop the session unless it is the caller's own (an agent handing itself off exits on
    its own; stopping it from inside would cut this command short)."""
    import os

    from bosun.agents.driver import project_runtime
    from bosun.agents.fleet import Fleet

    fleet = Fleet(ctx, project_runtime(ctx))
    session = fleet.session(role, name)
    if session is None or not session.live:
        return False
    if os.environ.get("BOSUN_IDENTITY") == f"{role}/{name}":
        _stop_later(fleet, session)
        return True
    try:
        fleet.stop(role, name, grace=2.0, reason="handoff")
    except BosunError:
        return False
    return True


def _stop_later(fleet: object, session: object) -> None:
    """Ask tmux to end the caller's own pane a moment after this command returns."""
    import subprocess

    subprocess.Popen(
        ["sh", "-c", 'sleep 0.3; kill -TERM "$0"', str(session.pid)],  # type: ignore[attr-defined]
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
