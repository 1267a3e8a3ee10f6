"""A graceful handoff: the work moves to a fresh session of the same identity."""

from __future__ import annotations

import contextlib
import os
import signal as signal_module
import subprocess
from typing import TYPE_CHECKING, Any

from bosun.agents.driver import project_fleet
from bosun.base.errors import BosunError
from bosun.base.names import check_text
from bosun.core.records import IdentityStatus
from bosun.supervisor.daemon import running_supervisor

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
    # End the session before asking for a successor, so the supervisor never sees a
    # handed-off identity whose old session is still running (one actor, no race).
    own = os.environ.get("BOSUN_IDENTITY") == ref
    stopped = _end_session(ctx, role, name) if not own else False
    with ctx.store.transaction() as tx:
        signal = ctx.signals.send_in(tx, ref, "HANDOFF_REQUESTED", {"note": note, "by": ref})
        ctx.identities.set_status_in(tx, role, name, IdentityStatus.HANDED_OFF, "handoff")
    if own:
        stopped = _stop_own_session_later(ctx, role, name)
    _ask_for_a_tick(ctx)
    return {
        "identity": ref,
        "signal": signal.id,
        "session_ended": stopped,
        "hook": hook.work_id if hook else None,
    }


def _ask_for_a_tick(ctx: Context) -> None:
    """Wake the supervisor (SIGUSR1) so the successor starts now, not at the next tick."""

    record = running_supervisor(ctx)
    if record is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(record.pid, signal_module.SIGUSR1)


def _end_session(ctx: Context, role: str, name: str) -> bool:
    """Stop the identity's live session (recorded as ended by the handoff first)."""
    fleet = project_fleet(ctx)
    session = fleet.session(role, name)
    if session is None or not session.live:
        return False
    try:
        fleet.stop(role, name, grace=2.0, reason="handoff")
    except BosunError:
        return False
    return True


def _stop_own_session_later(ctx: Context, role: str, name: str) -> bool:
    """An agent handing itself off: its pane ends a moment after this command returns
    (stopping it from inside would cut this command short)."""
    session = project_fleet(ctx).session(role, name)
    if session is None or not session.live or not session.pid:
        return False
    subprocess.Popen(
        ["sh", "-c", 'sleep 0.3; kill -TERM "$0"', str(session.pid)],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return True
