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
