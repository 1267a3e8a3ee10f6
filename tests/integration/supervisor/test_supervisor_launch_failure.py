"""A launch that fails is a crash: recorded, retried by the supervisor, never left `active`
with no session."""

from __future__ import annotations

import pytest
from suprig import Rig

from waiting import wait_for

pytestmark = pytest.mark.tmux


def test_a_failed_restart_launch_is_recorded_as_a_crash_and_retried(rig: Rig) -> None:
    rig.spawn("toast")
    runtimes = rig.root / ".bosun" / "runtimes"
    runtimes.mkdir(parents=True, exist_ok=True)
    (runtimes / "sim.toml").write_text('argv = ["/nonexistent/bosun-sim"]\n')
    result = rig.run("agent", "restart", "toast")
    assert result.returncode != 0 and "not on PATH" in result.stderr
    identity = rig.identity("toast")
    assert identity.incarnation == 2 and str(identity.status) == "crashed"
    assert rig.live_rows("toast") == 0
    rig.supervise()
    wait_for(
        lambda: rig.events("supervisor.recovery_started", "polecat/toast"),
        timeout=30,
        what="the supervisor to take the failed launch up",
    )


def test_a_restart_killed_before_it_recorded_its_session_is_taken_up_as_a_crash(
    rig: Rig,
) -> None:
    """Found by the supervisor kill -9 campaign: a supervisor killed between recording the
    next incarnation and recording its session left the identity `active` with no session,
    and no later supervisor looked at it again. A pane of that unrecorded incarnation, still
    running under the session's name, must not block the restart either."""
    import os
    import signal

    from bosun.agents.sessions import close_session

    first = rig.spawn("toast")
    os.kill(first["pid"], signal.SIGKILL)
    session = rig.session("toast")
    with rig.ctx.store.transaction() as tx:  # what the killed supervisor had committed
        close_session(tx, session, "seance_restart after crashed", exit_code=None, signal=9)
        rig.ctx.identities.new_incarnation(tx, "polecat", "toast", reason="seance_restart")
    rig.tmux("kill-session", "-t", f"={session.session}")
    rig.tmux("new-session", "-d", "-s", session.session, "sleep 600")  # the unrecorded pane
    assert str(rig.identity("toast").status) == "active" and rig.live_rows("toast") == 0

    rig.supervise(env={"BOSUN_RUNTIME_READY_TIMEOUT": "1"})
    [found] = wait_for(
        lambda: rig.events("supervisor.launch_interrupted", "polecat/toast"),
        timeout=30,
        what="the interrupted launch to be found",
    )
    assert found.data == {"incarnation": 2, "last_session": 1}
    third = rig.incarnation_ready("toast", 3)
    assert rig.live_rows("toast") == 1
    panes = rig.tmux("list-panes", "-a", "-F", "#{session_name} #{pane_pid}").stdout.split("\n")
    assert [p for p in panes if p] == [f"{session.session} {third.pid}"]
