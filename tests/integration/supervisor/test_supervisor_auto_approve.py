"""Auto-approve for real: the supervisor answers a sim agent's permission prompt that its
preset allows, logs it, and leaves one it does not allow for a person."""

from __future__ import annotations

import pytest
from suprig import Rig

from waiting import wait_for

pytestmark = pytest.mark.tmux


def test_an_allowed_prompt_is_approved_and_logged_and_another_waits_for_a_person(
    rig: Rig,
) -> None:
    runtimes = rig.root / ".bosun" / "runtimes"
    runtimes.mkdir(parents=True, exist_ok=True)
    (runtimes / "sim.toml").write_text('auto_approve = ["run the tests*"]\n')
    allowed = rig.work(
        "Allowed", [{"phase": "executing"}, {"permission": "run the tests now"}, {"say": "ran"}]
    )
    refused = rig.work(
        "Refused", [{"phase": "executing"}, {"permission": "push to origin"}, {"say": "pushed"}]
    )
    rig.supervise()
    rig.spawn("toast", allowed)
    rig.spawn("crumb", refused)
    wait_for(lambda: "ran" in rig.transcript("toast"), timeout=60, what="toast to go on")
    [event] = rig.events("agent.auto_approved", "polecat/toast")
    assert event.data["pattern"] == "run the tests*"
    assert event.data["request"] == "run the tests now" and event.data["keys"] == ["y"]
    wait_for(
        lambda: "Allow this action? [y/n]" in rig.screen("crumb"),
        timeout=60,
        what="crumb's prompt",
    )
    assert rig.events("agent.auto_approved", "polecat/crumb") == []
    assert "pushed" not in rig.transcript("crumb")

