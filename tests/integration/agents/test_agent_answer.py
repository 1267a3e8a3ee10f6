"""`bosun agent answer` for real: a sim agent that asks for permission as soon as it starts
(its spawn still succeeds: it has started, and waits for a person), answered by intent
(approve) with the preset's keys, and verified."""

from __future__ import annotations

from pathlib import Path

import pytest

from clirunner import Bosun
from waiting import wait_for

pytestmark = pytest.mark.tmux

TASK = """```bosun-task
{"steps": [{"permission": "push the branch"}, {"say": "pushed it"}]}
```"""


def test_approve_answers_the_permission_prompt_and_is_verified(
    bosun: Bosun, project: Path, tmux_socket: str
) -> None:
    env = {"BOSUN_RUNTIME_TMUX_SOCKET": tmux_socket}
    work = bosun.ok("work", "create", "Push", "--body", TASK)["id"]
    bosun.ok("agent", "spawn", "toast", "--runtime", "sim", "--work", work, env=env)
    wait_for(
        lambda: "Allow this action?" in bosun.ok("agent", "capture", "toast", env=env)["screen"],
        timeout=30,
        what="the permission prompt",
    )
    done = bosun.ok("agent", "answer", "toast", "approve", env=env)
    assert done["keys"] == ["y"] and done["verified"] is True
    wait_for(
        lambda: "pushed it" in bosun.ok("agent", "capture", "toast", env=env)["screen"],
        timeout=30,
        what="the agent to go on",
    )
    [event] = bosun.ok("events", "--kind", "agent.answered")
    assert event["data"]["choice"] == "approve" and event["data"]["verified"] is True
    again = bosun("agent", "answer", "toast", "approve", env=env)
    assert again.code == 1 and "no prompt waiting" in again.err
    bosun.ok("agent", "stop", "toast", env=env)

