"""The action-claim sentinel's follow-through end to end: sim agents in tmux (own socket per
test) with the claim-without-action fault (the sim reports the text that ends its turn with
`bosun sentinel observe`, as Claude Code's Stop hook does), and `bosun sentinel check` as the
supervisor's patrol (follow every commitment through, type the one nudge into the session).

Windows are shrunk through settings: a claim is due after 1 s, the compliance window after the
nudge is 2 s. The test decides when a patrol runs, so the order of claim, patrol and commit is
fixed by the test, never by timing; the sim's prompt log (BOSUN_SIM_PROMPT_LOG) shows what was
typed into the session.

Run alone: `pytest tests/e2e/test_sentinel_sim.py -v`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from clirunner import Bosun
from gitrepo import git
from waiting import wait_for

pytestmark = [pytest.mark.tmux, pytest.mark.slow]

CLAIM = "I'll push it now"


class Rig:
    def __init__(self, project: Path, tmp: Path, socket: str) -> None:
        self.root = project
        self.cli = Bosun(project)
        self.prompt_log = tmp / "prompts.jsonl"
        self.env = {
            "BOSUN_RUNTIME_TMUX_SOCKET": socket,
            "BOSUN_SIM_PROMPT_LOG": str(self.prompt_log),
            "BOSUN_SENTINEL_ENABLED": "true",
            "BOSUN_SENTINEL_DUE_AFTER": "1",
            "BOSUN_SENTINEL_COMPLIANCE_WINDOW": "2",
        }

    def ok(self, *args: str) -> Any:
        return self.cli.ok(*args, env=self.env)

    def patrol(self) -> dict[str, Any]:
        return dict(self.ok("sentinel", "check"))

    def spawn(self, name: str, task: dict[str, Any]) -> Path:
        body = "```bosun-task\n" + json.dumps(task) + "\n```"
        work = self.ok("work", "create", f"Task of {name}", "--body", body)
        session = self.ok("agent", "spawn", name, "--runtime", "sim", "--work", work["id"])
        return Path(session["worktree"])

    def transcript(self, name: str) -> str:
        path = self.root / ".bosun" / "state" / "transcripts" / f"polecat-{name}.log"
        return path.read_text() if path.exists() else ""

    def said(self, name: str, text: str) -> int:
        return self.transcript(name).splitlines().count(f"● {text}")

    def prompts(self) -> list[str]:
        if not self.prompt_log.exists():
            return []
        return [json.loads(line)["text"] for line in self.prompt_log.read_text().splitlines()]

    def commitments(self, name: str) -> list[dict[str, Any]]:
        return list(self.ok("commitments", "list", "--identity", f"polecat/{name}"))


@pytest.fixture
def rig(project: Path, tmp_path: Path, tmux_socket: str) -> Rig:
    return Rig(project, tmp_path, tmux_socket)  # the tmux fixture stops the agents


def claimed(rig: Rig, name: str, faults: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """Spawn NAME on a task whose last step commits; it claims to push instead, and stops."""
    # git dates commits to the second and the sentinel counts commits from the claim's second
    # on: the claim must come in a later second than the last commit of the repository.
    head = int(git(rig.root, "log", "-1", "--format=%ct"))
    wait_for(lambda: time.time() >= head + 1.0, timeout=5, what="the next second")
    task = {
        "steps": [
            {"phase": "executing"},
            {"write": {"path": "fix.txt", "content": "fixed\n"}},
            {"commit": "fix the parser"},
        ],
        "faults": {"claim_without_action": CLAIM, **faults},
    }
    worktree = rig.spawn(name, task)
    made = wait_for(
        lambda: (c := rig.commitments(name)) and c[0], timeout=30, what="the claim's commitment"
    )
    assert rig.said(name, CLAIM) == 1
    assert (made["status"], made["verb"], made["claim"], made["claims"]) == (
        "open",
        "push",
        CLAIM,
        1,
    )
    assert made["topic"] == rig.ok("hook", "show", "polecat", name)["work_id"]
    return worktree, made


def nudged(rig: Rig, made: dict[str, Any]) -> dict[str, Any]:
    """Patrol until the commitment is due (1 s): the one nudge, typed into the session."""
    report = wait_for(lambda: (r := rig.patrol())["nudges"] and r, timeout=20, what="the nudge")
    [nudge] = report["nudges"]
    assert nudge["commitment"] == made["id"]
    assert nudge["text"].startswith(f"You said: '{CLAIM}' — it has not happened yet")
    assert f"bosun commitments withdraw {made['id']} --why" in nudge["text"]
    [delivery] = report["deliveries"]
    assert (delivery["commitment"], delivery["delivered"]) == (made["id"], True)
    wait_for(lambda: nudge["text"] in rig.prompts(), timeout=20, what="the nudge in the session")
    return dict(nudge)


def closed(rig: Rig, name: str) -> dict[str, Any]:
    wait_for(
        lambda: rig.patrol()["outcomes"] and rig.commitments(name)[0]["status"] != "open",
        timeout=20,
        what="the commitment to close",
    )
    [final] = rig.commitments(name)
    return dict(final)


def nudges_typed(rig: Rig) -> list[str]:
    return [p for p in rig.prompts() if p.startswith("You said:")]


def test_a_claim_without_action_is_nudged_once_then_violated_and_escalated(rig: Rig) -> None:
    worktree, made = claimed(rig, "toast", {"ignore_nudges": True})

    nudged(rig, made)
    violated = closed(rig, "toast")  # past the compliance window (2 s), still no commit

    assert (violated["id"], violated["status"], violated["reason"]) == (
        made["id"],
        "violated",
        "no_evidence",
    )
    assert violated["evidence"]["checked"] == ["push", "commit", "command"]
    escalations = rig.ok("signal", "list", "--type", "ESCALATION")
    assert [(s["payload"]["commitment"], s["payload"]["claim"]) for s in escalations] == [
        (made["id"], CLAIM)
    ]
    assert len(nudges_typed(rig)) == 1  # one nudge, never a second
    assert git(worktree, "log", "-1", "--format=%s") != "fix the parser"
    kinds = [e["kind"] for e in rig.ok("events", "--kind", "commitment.", "--limit", "50")]
    assert kinds == [
        "commitment.opened",
        "commitment.nudged",
        "commitment.nudge_delivered",
        "commitment.violated",
    ]


def test_an_agent_that_commits_after_its_claim_delivers_with_the_commit(rig: Rig) -> None:
    worktree, made = claimed(rig, "tess", {})
    # no patrol yet: the operator tells it to go on, and it does the work and commits
    rig.ok("agent", "send", "tess", "go ahead")
    wait_for(
        lambda: git(worktree, "log", "-1", "--format=%s") == "fix the parser",
        timeout=30,
        what="the agent's commit",
    )
    delivered = closed(rig, "tess")

    assert (delivered["id"], delivered["status"], delivered["nudged"]) == (
        made["id"],
        "delivered",
        False,
    )
    found = delivered["evidence"]["found"]
    assert (found["kind"], found["sha"], found["subject"], found["new_commits"]) == (
        "commit",
        git(worktree, "rev-parse", "HEAD"),
        "fix the parser",
        1,
    )
    assert found["branch"] == git(worktree, "rev-parse", "--abbrev-ref", "HEAD")
    assert nudges_typed(rig) == []
    assert rig.ok("signal", "list", "--type", "ESCALATION") == []


def test_a_nudged_agent_that_then_commits_delivers(rig: Rig) -> None:
    worktree, made = claimed(rig, "ned", {})

    nudged(rig, made)  # the sim takes the nudge as its next prompt and resumes the work
    delivered = closed(rig, "ned")

    assert (delivered["status"], delivered["nudged"]) == ("delivered", True)
    assert delivered["evidence"]["found"]["sha"] == git(worktree, "rev-parse", "HEAD")
    assert git(worktree, "log", "-1", "--format=%s") == "fix the parser"
    assert rig.ok("signal", "list", "--type", "ESCALATION") == []
