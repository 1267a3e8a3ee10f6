"""`[merge_queue] enabled = false`: the supervisor runs no merge queue and its guard is off
on purpose; switched on but run by nobody, the guard is trouble."""

from __future__ import annotations

import pytest
from suprig import Rig

pytestmark = pytest.mark.tmux


def test_a_merge_queue_switched_off_in_the_settings_is_off_not_trouble(rig: Rig) -> None:
    rig.supervise({"BOSUN_MERGE_QUEUE_ENABLED": "false"})
    guards = rig.ok("guards", env={"BOSUN_MERGE_QUEUE_ENABLED": "false"})["guards"]
    [queue] = [g for g in guards if g["guard"] == "merge_queue"]
    assert queue["posture"] == "off"
    # switched on but run by nobody: that is trouble `status --check` reports
    guards = rig.ok("guards")["guards"]
    [queue] = [g for g in guards if g["guard"] == "merge_queue"]
    assert queue["posture"] == "off-runtime-divergent"
