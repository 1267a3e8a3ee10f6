"""Threads wake their participants for real: sim agents in tmux (own socket per test), the
trigger worker as a `bosun triggers work` process, the fleet's seams (probe, deliver, resume,
spawn). The sim's prompt log (BOSUN_SIM_PROMPT_LOG) shows what reached each session.

The safeguards' windows are shrunk through settings (environment) so each test takes seconds:
the collision quiet window to 0 (or 1 s for the busy test), rate-limit bursts above the number
of turns. Every hop is checked in the job's attempts (`bosun triggers show`).

Run alone: `pytest tests/e2e/test_triggers_sim.py -v`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clirunner import Bosun
from waiting import wait_for

pytestmark = [pytest.mark.tmux, pytest.mark.slow]

PERSON = "person/bob"


class Rig:
    """The CLI with this test's environment, a background worker, and the sim's prompt log."""

    def __init__(self, project: Path, tmp: Path, socket: str) -> None:
        self.root = project
        self.cli = Bosun(project)
        self.prompt_log = tmp / "prompts.jsonl"
        self.tmp = tmp
        self.env = {
            "BOSUN_RUNTIME_TMUX_SOCKET": socket,
            "BOSUN_SIM_PROMPT_LOG": str(self.prompt_log),
            "BOSUN_TRIGGERS_QUIET_WINDOW": "0",
            "BOSUN_TRIGGERS_POLL_INTERVAL": "0.05",
            "BOSUN_TRIGGERS_RECONCILE_INTERVAL": "0.1",
            "BOSUN_TRIGGERS_TARGET_BURST": "100",
            "BOSUN_TRIGGERS_THREAD_BURST": "100",
        }
        self.workers: list[subprocess.Popen[bytes]] = []

    def ok(self, *args: str) -> Any:
        return self.cli.ok(*args, env=self.env)

    def run(self, *args: str) -> Any:
        return self.cli(*args, env=self.env)

    def prompts(self) -> list[str]:
        if not self.prompt_log.exists():
            return []
        return [json.loads(line)["text"] for line in self.prompt_log.read_text().splitlines()]

    def transcript(self, name: str, role: str = "polecat") -> str:
        path = self.root / ".bosun" / "state" / "transcripts" / f"{role}-{name}.log"
        return path.read_text() if path.exists() else ""

    def thread(self, title: str, target: str) -> str:
        created = self.ok("thread", "create", title, "-p", target, "-p", PERSON)
        return str(created["id"])

    def post(self, thread: str, text: str) -> int:
        return int(self.ok("thread", "post", thread, text, "--as", PERSON)["seq"])

    def jobs(self) -> list[dict[str, Any]]:
        return list(self.ok("triggers", "list"))

    def job_for(self, thread: str, upto_seq: int) -> dict[str, Any] | None:
        found = [j for j in self.jobs() if j["thread_id"] == thread and j["upto_seq"] == upto_seq]
        return found[0] if found else None

    def show(self, job_id: str) -> dict[str, Any]:
        return dict(self.ok("triggers", "show", job_id))

    def hops(self, job_id: str) -> list[tuple[str, str, str]]:
        return [(a["hop"], a["outcome"], a["reason"]) for a in self.show(job_id)["attempts"]]

    def work_once(self) -> dict[str, Any]:
        return dict(self.ok("triggers", "work", "--once"))

    def start_worker(self, **extra: str) -> None:
        log = (self.tmp / f"worker-{len(self.workers)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bosun", "triggers", "work"],
            cwd=self.root,
            env={**os.environ, **self.env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.workers.append(proc)

    def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@pytest.fixture
def rig(project: Path, tmp_path: Path, tmux_socket: str) -> Iterator[Rig]:
    made = Rig(project, tmp_path, tmux_socket)
    try:
        yield made
    finally:
        made.close()  # workers first; the tmux fixture then kills the sim agents


def wake_line(thread: str, target: str) -> str:
    return f"read with: bosun thread read {thread} --as {target}"


def test_a_message_to_a_dormant_participant_wakes_it(rig: Rig) -> None:
    rig.ok("agent", "spawn", "amy", "--runtime", "sim", "--worktree", "none")
    thread = rig.thread("Review PR 7", "polecat/amy")
    seq = rig.post(thread, "amy, the review of PR 7 is yours")

    stats = rig.work_once()
    assert (stats["processed"], stats["failed"]) == (1, 0)

    [wake] = rig.prompts()
    assert f'1 unread message for you in thread {thread} "Review PR 7"' in wake
    assert f"(latest #{seq} from {PERSON})" in wake
    assert wake_line(thread, "polecat/amy") in wake
    job = rig.job_for(thread, seq)
    assert job is not None and (job["state"], job["hop"]) == ("completed", "live")
    assert job["requested_by"] == "bosun/reconcile"
    assert rig.hops(job["id"]) == [("live", "completed", "session_live")]
    screen = wait_for(
        lambda: (s := rig.ok("agent", "capture", "amy")["screen"]) and "● received 1:" in s and s,
        timeout=20,
        what="the wake-up on amy's screen",
    )
    assert "[bosun] 1 unread message" in screen

    assert "- 1 unread" not in wake  # reconciliation's reason is not repeated

    # reconciliation is idempotent: nothing new, nothing enqueued, nothing typed
    assert rig.work_once()["processed"] == 0
    assert len(rig.prompts()) == 1

    # a participant asks for it explicitly, with a reason: that reaches the session too
    asked = rig.ok(
        "trigger",
        "polecat/amy",
        "--thread",
        thread,
        "--reason",
        "PR 7 blocks the release",
        "--as",
        PERSON,
    )
    assert (asked["action"], asked["reason"]) == ("enqueued", "session_live")
    assert rig.work_once()["processed"] == 1
    again = rig.prompts()[1]
    assert again.endswith(f"- PR 7 blocks the release - {wake_line(thread, 'polecat/amy')}")
    assert rig.hops(asked["job_id"]) == [("live", "completed", "session_live")]


def test_a_busy_session_defers_then_delivers(rig: Rig) -> None:
    task = '```bosun-task\n{"steps": [{"phase": "executing"}, {"work": 3}, {"say": "built"}]}\n```'
    work = rig.ok("work", "create", "Build", "--body", task)
    rig.ok("agent", "spawn", "bea", "--runtime", "sim", "--work", work["id"])
    wait_for(
        lambda: "● step 2/3: work 3s" in rig.transcript("bea"), timeout=30, what="bea to be busy"
    )
    rig.start_worker(
        BOSUN_TRIGGERS_QUIET_WINDOW="1", BOSUN_TRIGGERS_RECHECK="0.3", BOSUN_TRIGGERS_MAX_DEFER="60"
    )
    thread = rig.thread("Build status", "polecat/bea")
    seq = rig.post(thread, "bea, how is the build?")

    job = wait_for(
        lambda: (j := rig.job_for(thread, seq)) and j["state"] == "completed" and j,
        timeout=60,
        what="the deferred wake-up to be delivered",
    )
    hops = rig.hops(job["id"])
    assert hops[0] == ("live", "deferred", "collision_busy"), hops
    assert hops[-1] == ("live", "completed", "session_live"), hops
    assert {h[1] for h in hops[:-1]} == {"deferred"}
    assert job["failures"] == 0

    # it was typed only after the work ended: the sim never saw it mid-task
    transcript = wait_for(
        lambda: (t := rig.transcript("bea")) and "● received 1: [bosun]" in t and t, timeout=20
    )
    assert transcript.index("● Done: all 3 steps") < transcript.index("● received 1: [bosun]")
    assert "(working on step" not in transcript
    [wake] = rig.prompts()
    assert wake_line(thread, "polecat/bea") in wake


def test_a_dead_session_is_resumed_and_then_woken(rig: Rig) -> None:
    spawned = rig.ok("agent", "spawn", "cal", "--runtime", "sim", "--worktree", "none")
    os.kill(spawned["pid"], signal.SIGKILL)
    wait_for(
        lambda: rig.ok("agent", "list")[0]["state"] == "dead", timeout=20, what="cal to be dead"
    )
    thread = rig.thread("Flaky test", "polecat/cal")
    seq = rig.post(thread, "cal, test_io fails again")

    assert rig.work_once()["processed"] == 1

    job = rig.job_for(thread, seq)
    assert job is not None and (job["state"], job["hop"]) == ("completed", "resume")
    assert rig.hops(job["id"]) == [("resume", "completed", "session_dead")]
    assert "woken by resume 1" in job["outcome"]
    seance, wake = rig.prompts()
    assert seance.startswith("[bosun seance] You are polecat/cal, incarnation 2")
    assert "its session had died" in seance
    assert wake_line(thread, "polecat/cal") in wake
    [row] = rig.ok("agent", "list")
    assert (row["incarnation"], row["state"]) == (2, "ready") or row["state"] == "busy"
    launched = rig.ok("events", "--kind", "agent.launched", "--subject", "polecat/cal")
    assert [e["data"]["reason"] for e in launched] == ["spawn", "trigger: resume"]

    # once its end is recorded, a trigger's envelope says so (the worker probes anyway)
    rig.ok("agent", "stop", "cal")
    asked = rig.ok("trigger", "polecat/cal", "--thread", thread, "--as", PERSON)
    assert (asked["action"], asked["reason"]) == ("enqueued", "session_ended")


def test_a_missing_session_is_spawned_with_the_thread_summary(rig: Rig) -> None:
    rig.ok("identity", "create", "polecat", "dot", "--runtime", "sim")
    work = rig.ok("work", "create", "Fix the parser", "--body", "tabs break it")
    rig.ok("hook", "pin", "polecat", "dot", work["id"])
    thread = rig.thread("Parser", "polecat/dot")
    rig.post(thread, "dot, the parser fails on tabs")
    seq = rig.post(thread, "see tests/test_parse.py::test_tabs")
    assert [r["state"] for r in rig.ok("agent", "list")] == ["not running"]

    assert rig.work_once()["processed"] == 1

    job = rig.job_for(thread, seq)
    assert job is not None and (job["state"], job["hop"]) == ("completed", "spawn")
    assert rig.hops(job["id"]) == [("spawn", "completed", "no_session")]
    [summary] = rig.prompts()  # the spawned session's first prompt
    assert summary.startswith(
        f'You are polecat/dot. bosun started this session because thread {thread} "Parser"'
    )
    assert f"Your hook: work {work['id']} (Fix the parser), phase assigned." in summary
    assert f"#1 {PERSON}: dot, the parser fails on tabs" in summary
    assert f"#2 {PERSON}: see tests/test_parse.py::test_tabs" in summary
    assert f"bosun thread read {thread} --as polecat/dot" in summary
    assert "Why:" not in summary  # nobody asked; reconciliation found it unread
    [row] = rig.ok("agent", "list")
    assert (row["identity"], row["incarnation"]) == ("polecat/dot", 1)
    assert "● received 1: You are polecat/dot." in rig.transcript("dot")


def test_twenty_turns_without_progress_block_the_pair(rig: Rig) -> None:
    rig.ok("agent", "spawn", "eve", "--runtime", "sim", "--worktree", "none")
    thread = rig.thread("Endless review", "polecat/eve")
    rig.start_worker()

    for turn in range(1, 21):
        rig.post(thread, f"round {turn}: please look again")
        wait_for(lambda n=turn: len(rig.prompts()) >= n, timeout=30, what=f"wake-up {turn}")
    last = rig.post(thread, "round 21: please look again")

    job = wait_for(
        lambda: (j := rig.job_for(thread, last)) and j["state"] == "blocked" and j,
        timeout=30,
        what="the 21st trigger to be blocked",
    )
    assert rig.hops(job["id"]) == [("safeguard", "blocked", "no_progress")]
    assert len(rig.prompts()) == 20  # the 21st never reached the session
    [pair] = rig.ok("triggers", "blocked")
    assert (pair["thread_id"], pair["participant"], pair["blocked"]) == (
        thread,
        "polecat/eve",
        True,
    )
    assert (pair["reason"], pair["turns_without_progress"]) == ("no_progress", 20)
    blocked_jobs = rig.ok("triggers", "list", "--state", "blocked")
    assert [j["id"] for j in blocked_jobs] == [job["id"]]
    completed = rig.ok("triggers", "list", "--state", "completed")
    assert len(completed) == 20

    # blocked until unblocked explicitly; then the next message wakes it again
    rig.post(thread, "round 22: still blocked?")
    rig.ok("triggers", "unblock", "polecat/eve", "--thread", thread)
    wait_for(lambda: len(rig.prompts()) == 21, timeout=30, what="a wake-up after unblocking")
