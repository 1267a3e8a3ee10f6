"""The sim agent's answers to what `bosun demo` puts it through, in a real git repository:
a merge conflict handed back by the queue, a claim made once per session, and a
configurable swallow window."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bosun.base.errors import InvalidInput
from bosun.runtime.sim.agent import Job, SimAgent
from bosun.runtime.sim.bosunctl import PrimeInfo
from bosun.runtime.sim.console import AppendLog, Console
from bosun.runtime.sim.context import ContextMeter
from bosun.runtime.sim.faults import FaultLedger, Faults, faults_from_env, parse_faults
from bosun.runtime.sim.rebase import rebase_onto, rebasing
from bosun.runtime.sim.screen import Screen
from bosun.runtime.sim.workspace import Workspace


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture
def conflicted(git_repo: Path) -> Path:
    """`main` and branch `bosun/toast` (checked out) both add a line at the end of
    CHANGELOG.md; the branch also adds its own module."""
    (git_repo / "CHANGELOG.md").write_text("# Changelog\n")
    git(git_repo, "add", "CHANGELOG.md")
    git(git_repo, "commit", "-q", "-m", "changelog")
    git(git_repo, "checkout", "-q", "-b", "bosun/toast")
    with open(git_repo / "CHANGELOG.md", "a") as fh:
        fh.write("- add toast\n")
    (git_repo / "toast.py").write_text("TOAST = 1\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "add toast")
    git(git_repo, "checkout", "-q", "main")
    with open(git_repo / "CHANGELOG.md", "a") as fh:
        fh.write("- add bagel\n")
    git(git_repo, "commit", "-q", "-am", "add bagel")
    git(git_repo, "checkout", "-q", "bosun/toast")
    return git_repo


def test_a_conflicting_rebase_keeps_both_sides_and_lands_on_the_target(conflicted: Path) -> None:
    workspace = Workspace(conflicted, dict(os.environ))
    assert rebase_onto(workspace, "main") == ["CHANGELOG.md"]
    assert not rebasing(workspace)
    assert (conflicted / "CHANGELOG.md").read_text() == "# Changelog\n- add bagel\n- add toast\n"
    assert git(conflicted, "merge-base", "--is-ancestor", "main", "HEAD") == ""
    assert git(conflicted, "log", "--format=%s", "-1") == "add toast"
    assert (conflicted / "toast.py").read_text() == "TOAST = 1\n"
    assert rebase_onto(workspace, "main") == []  # already on top: nothing to do


class QueueClient:
    """Answers like the bosun CLI for an agent whose merge request conflicted."""

    def __init__(self, signals: list[dict[str, Any]], phase: str = "executing") -> None:
        self.signals = signals
        self.phase = phase
        self.calls: list[tuple[str, ...]] = []

    def prime(self) -> dict[str, Any]:
        body = '```bosun-task\n{"steps": [{"say": "one"}]}\n```'
        return {
            "identity": {"identity": "polecat/toast"},
            "hook": {
                "work_id": "bo-1",
                "phase": self.phase,
                "unfinished": True,
                "checkpoint_note": "sim:step=1/1 say one",
            },
            "work": {"id": "bo-1", "title": "Toast", "body": body, "status": "merge_conflict"},
            "signals": self.signals,
        }

    def checkpoint(self, note: str) -> None:
        self.calls.append(("checkpoint", note))

    def update_phase(self, phase: str) -> None:
        self.calls.append(("phase", phase))

    def heartbeat(self) -> None:
        self.calls.append(("heartbeat",))

    def send_signal(self, to: str, kind: str, payload: dict[str, Any]) -> None:
        self.calls.append(("signal", to, kind, json.dumps(payload, sort_keys=True)))

    def ack_signal(self, signal_id: str) -> None:
        self.calls.append(("ack", signal_id))

    def observe_turn(self, text: str) -> None:
        self.calls.append(("observe", text))

    def named(self, *names: str) -> list[tuple[str, ...]]:
        return [c for c in self.calls if c[0] in names]


def make_agent(tmp: Path, cwd: Path, client: Any, faults: str | None = None) -> SimAgent:
    console = Console(Screen(identity="polecat/toast"), AppendLog(tmp / "t.log"), lambda: None)
    return SimAgent(
        console,
        client,
        "polecat/toast",
        Workspace(cwd, dict(os.environ)),
        ContextMeter(tmp / "ctx.json"),
        FaultLedger(tmp / "ledger.json"),
        faults_from_env(faults),
    )


def merge_failed(reason: str = "conflict", work_id: str = "bo-1") -> dict[str, Any]:
    return {
        "id": "sg-1",
        "type": "MERGE_FAILED",
        "from": "refinery/merge-queue",
        "unread": True,
        "payload": {
            "reason": reason,
            "files": ["CHANGELOG.md"],
            "target": "main",
            "branch": "bosun/toast",
            "work_id": work_id,
        },
    }


def test_a_prompt_after_merge_failed_rebases_and_asks_the_queue_again(
    conflicted: Path, tmp_path: Path
) -> None:
    client = QueueClient([merge_failed()])
    agent = make_agent(tmp_path, conflicted, client)
    agent.answer(Job("prompt", 1, "You have unfinished work on your hook."))
    assert client.named("phase", "signal", "ack") == [
        ("phase", "impl_complete"),
        ("phase", "merge_ready"),
        (
            "signal",
            "refinery/merge-queue",
            "MERGE_READY",
            '{"branch": "bosun/toast", "work_id": "bo-1"}',
        ),
        ("ack", "sg-1"),  # only after MERGE_READY went out: a crash in between redoes it
    ]
    assert "- add bagel\n- add toast\n" in (conflicted / "CHANGELOG.md").read_text()
    assert "● Sent MERGE_READY for bosun/toast again." in agent.console.screen.lines


def test_gate_failures_and_other_work_are_not_taken_for_a_conflict() -> None:
    info = PrimeInfo.from_json(
        {
            "hook": {"work_id": "bo-1", "phase": "executing"},
            "signals": [merge_failed("gate failed"), merge_failed(work_id="bo-2")],
        },
        "polecat/toast",
    )
    assert info.merge_conflict() is None
    read = {**merge_failed(), "unread": False}
    info = PrimeInfo.from_json(
        {"hook": {"work_id": "bo-1"}, "signals": [read, merge_failed()]}, "polecat/toast"
    )
    assert info.merge_conflict() == merge_failed()


def test_a_claim_is_made_once_per_session_and_reported_to_the_sentinel(
    git_repo: Path, tmp_path: Path
) -> None:
    steps = [{"write": {"path": "x.txt", "content": "x\n"}}, {"commit": "add x"}]
    script = {"steps": steps, "faults": {"claim_without_action": "I will commit x now."}}

    class Client(QueueClient):
        def prime(self) -> dict[str, Any]:
            notes = self.named("checkpoint")
            return {
                "hook": {
                    "work_id": "bo-1",
                    "phase": "executing",
                    "checkpoint_note": notes[-1][1] if notes else None,
                },
                "work": {"id": "bo-1", "body": f"```bosun-task\n{json.dumps(script)}\n```"},
            }

    client = Client([])
    agent = make_agent(tmp_path, git_repo, client)
    agent.start()
    assert client.named("observe") == [("observe", "I will commit x now.")]
    assert git(git_repo, "log", "--format=%s", "-1") == "initial commit"
    agent.answer(Job("prompt", 1, "You said: 'I will commit x now.' — do it or withdraw it"))
    assert git(git_repo, "log", "--format=%s", "-1") == "add x"
    assert len(client.named("observe")) == 1


def test_the_swallow_window_is_configurable_and_checked() -> None:
    faults, keys = parse_faults({"swallow_enter": True, "swallow_window": 1.5}, "test")
    assert faults == Faults(swallow_enter=True, swallow_window=1.5)
    assert keys == {"swallow_enter", "swallow_window"}
    assert Faults().swallow_window == 0.12
    for bad in (0, 11, "1", True):
        with pytest.raises(InvalidInput, match="swallow_window in test must be a number"):
            parse_faults({"swallow_window": bad}, "test")


def test_a_once_claim_is_not_repeated_by_the_next_incarnation(tmp_path: Path) -> None:
    faults = Faults(claim_without_action="I will push it", once=True)
    first = FaultLedger(tmp_path / "ledger.json")
    assert first.fire_once(faults, "bo-1", "claim_without_action")
    assert not first.fire_once(faults, "bo-1", "claim_without_action")
    assert not FaultLedger(tmp_path / "ledger.json").fire_once(
        faults, "bo-1", "claim_without_action"
    )
    again = Faults(claim_without_action="I will push it")  # without once: every session
    assert FaultLedger(tmp_path / "other.json").fire_once(again, "bo-1", "claim_without_action")
