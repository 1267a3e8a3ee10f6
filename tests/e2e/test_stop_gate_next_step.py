"""The Claude stop gate tells the agent the next real step of its phase, and following it is
accepted by bosun (issue 17 item 15). Run through the real CLI, phase by phase."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from clirunner import Bosun

AGENT = {"BOSUN_IDENTITY": "polecat/toast"}
STOP = {
    "session_id": "5b3c2a1e-0000-4000-8000-000000000001",
    "transcript_path": "/tmp/t.jsonl",
    "cwd": "/tmp",
    "hook_event_name": "Stop",
    "stop_hook_active": False,
}
# How the operator brings a fresh hook to each phase (after `hook pin`, phase assigned).
SETUP = {
    "assigned": [],
    "executing": ["executing"],
    "impl_complete": ["executing", "impl_complete"],
    "validating": ["executing", "impl_complete", "validating"],
    "merge_ready": ["executing", "merge_ready"],
    "merged": ["executing", "merge_ready", "merged"],
    "blocked": ["blocked"],
    "released": ["released"],
}
# phase → where following the gate's instruction leaves the hook (None: the gate lets the
# agent stop, as it waits for the merge queue, a person or new work).
FOLLOWING_LEADS_TO = {
    "assigned": "executing",
    "executing": "impl_complete",
    "impl_complete": "merge_ready",
    "validating": None,
    "merge_ready": None,
    "merged": None,
    "blocked": None,
    "released": None,
}


@pytest.fixture
def agent(bosun: Bosun, project: Path) -> Bosun:
    tree = bosun.ok("worktree", "create", "toast")
    bosun.ok("identity", "create", "refinery", "merge-queue")  # as `bosun init` does
    bosun.ok("identity", "create", "polecat", "toast", "--runtime", "claude",
             "--worktree", tree["path"])
    return bosun


def stop(agent: Bosun) -> str:
    result = agent("claude-hook", "Stop", env=AGENT, stdin=json.dumps(STOP))
    assert result.code == 0 and "Traceback" not in result.err
    return result.out


def commands(reason: str) -> list[list[str]]:
    """Every `bosun …` command the reason tells the agent to run, in order."""
    found = [shlex.split(c)[1:] for c in re.findall(r"`(bosun [^`]+)`", reason)]
    return [c for c in found if c[-1] != "blocked" and c != ["handoff"]]


def test_every_phase_has_a_table_row() -> None:
    from bosun.core.records import Phase

    assert set(SETUP) == set(FOLLOWING_LEADS_TO) == {str(p) for p in Phase}


@pytest.mark.parametrize("phase", list(SETUP))
def test_the_stop_gate_gives_the_next_real_step_and_bosun_accepts_it(
    agent: Bosun, phase: str
) -> None:
    work = agent.ok("work", "create", "Add login")
    agent.ok("hook", "pin", "polecat", "toast", work["id"])
    for step in SETUP[phase]:
        agent.ok("hook", "update-phase", "polecat", "toast", step)
    out = stop(agent)
    goal = FOLLOWING_LEADS_TO[phase]
    if goal is None:
        assert out == "", f"the gate kept an agent at {phase} from stopping"
        return
    reason = json.loads(out)["reason"]
    steps = commands(reason)
    assert ["hook", "update-phase", "polecat", "toast", phase] not in steps, reason
    assert steps, reason
    for argv in steps:
        result = agent(*argv, env=AGENT)
        assert result.code == 0, f"bosun {' '.join(argv)} refused: {result.err}"
    assert agent.ok("hook", "show", "polecat", "toast")["phase"] == goal
    if phase == "impl_complete":
        [offer] = agent.ok("signal", "list", "--for", "refinery/merge-queue", "--unread")
        assert (offer["type"], offer["from"]) == ("MERGE_READY", "polecat/toast")
        assert offer["payload"] == {"branch": "bosun/toast"}
        assert stop(agent) == ""  # now it may stop and wait for the queue
