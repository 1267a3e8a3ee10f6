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
    [seance] = rig.prompts()  # the wake-up rides in the resumed session's first prompt
    assert seance.startswith("[bosun seance] You are polecat/cal, incarnation 2")
    assert "its session had died" in seance
    assert wake_line(thread, "polecat/cal") in seance
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


# -- issue 17: wakes never destroy work; a stop wins; busy targets wait; trouble is loud -------


def busy_task(seconds: int) -> str:
    steps = [{"phase": "executing"}, {"work": seconds}, {"say": "built"}]
    return "```bosun-task\n" + json.dumps({"steps": steps}) + "\n```"


def launches(rig: Rig, ref: str) -> list[str]:
    events = rig.ok("events", "--kind", "agent.launched", "--subject", ref)
    return [e["data"]["reason"] for e in events]


def test_a_wake_rides_in_the_resumed_prompt_and_never_restarts_the_working_agent(
    rig: Rig,
) -> None:
    # a woken agent starts on its hook at once and stays busy: nothing can be typed into it
    work = rig.ok("work", "create", "Long build", "--body", busy_task(30))
    spawned = rig.ok("agent", "spawn", "gus", "--runtime", "sim", "--work", work["id"])
    os.kill(spawned["pid"], signal.SIGKILL)
    wait_for(
        lambda: rig.ok("agent", "list")[0]["state"] == "dead", timeout=20, what="gus to be dead"
    )
    thread = rig.thread("Build", "polecat/gus")
    seq = rig.post(thread, "gus, the build broke")

    rig.env["BOSUN_RUNTIME_READY_TIMEOUT"] = "2"  # a wait for a ready screen would fail fast
    assert rig.work_once()["processed"] == 1

    job = rig.job_for(thread, seq)
    assert job is not None and (job["state"], job["hop"]) == ("completed", "resume"), job
    assert rig.hops(job["id"]) == [("resume", "completed", "session_dead")]
    [first] = rig.prompts()  # one prompt: the seance, with the wake-up in it
    assert first.startswith("[bosun seance] You are polecat/gus, incarnation 2")
    assert wake_line(thread, "polecat/gus") in first
    wait_for(
        lambda: "● step 2/3: work 30s" in rig.transcript("gus"),
        timeout=30,
        what="the resumed gus to work on its hook",
    )
    assert launches(rig, "polecat/gus") == ["spawn", "trigger: resume"]  # restarted once
    [row] = rig.ok("agent", "list")
    assert row["incarnation"] == 2 and row["state"] in ("busy", "ready")


def test_a_trigger_for_an_agent_the_operator_stopped_is_cancelled_not_resumed(rig: Rig) -> None:
    rig.ok("agent", "spawn", "hal", "--runtime", "sim", "--worktree", "none")
    rig.ok("agent", "stop", "hal")
    thread = rig.thread("After the stop", "polecat/hal")
    seq = rig.post(thread, "hal, are you there?")

    assert rig.work_once()["processed"] == 1
    job = rig.job_for(thread, seq)
    assert job is not None and (job["state"], job["last_reason"]) == (
        "cancelled",
        "target_stopped",
    ), job
    for _ in range(3):  # nor do the supervisor's ladder and resume queue revive it
        assert rig.run("supervise", "--once").code == 0
    assert launches(rig, "polecat/hal") == ["spawn"]
    [row] = rig.ok("agent", "list")
    assert (row["incarnation"], row["state"]) == (1, "not running")
    assert rig.prompts() == []


class StopDuringSend:
    """The project's fleet, except that the operator runs `bosun agent stop` at the very
    moment the trigger job first tries to type (the job is in flight)."""

    def __init__(self, fleet: Any, rig: Rig, name: str) -> None:
        self.fleet, self.rig, self.name = fleet, rig, name
        self.stopped = False

    def activity(self, role: str, name: str) -> Any:
        return self.fleet.activity(role, name)

    def session(self, role: str, name: str) -> Any:
        return self.fleet.session(role, name)

    def send(self, role: str, name: str, text: str) -> Any:
        if not self.stopped:
            self.stopped = True
            self.rig.ok("agent", "stop", self.name)
        return self.fleet.send(role, name, text)

    def restart(self, role: str, name: str, **kwargs: Any) -> Any:
        return self.fleet.restart(role, name, **kwargs)

    def spawn_identity(self, identity: Any, prompt: str) -> Any:
        return self.fleet.spawn_identity(identity, prompt)


def test_an_operator_stop_during_a_trigger_job_is_never_undone(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bosun.agents.driver import project_fleet
    from bosun.core.context import open_project
    from bosun.triggers.fleet_seams import fleet_seams
    from bosun.triggers.reconcile import reconcile_tick
    from bosun.triggers.trigger import queue_for
    from bosun.triggers.wake import WakeProcessor

    rig.ok("agent", "spawn", "ida", "--runtime", "sim", "--worktree", "none")
    thread = rig.thread("Stop race", "polecat/ida")
    rig.post(thread, "ida, one more thing")
    for key, value in rig.env.items():
        monkeypatch.setenv(key, value)
    ctx = open_project(rig.root)
    try:
        fleet = StopDuringSend(project_fleet(ctx), rig, "ida")
        reconcile_tick(ctx)
        queue = queue_for(ctx)
        [lease] = queue.claim("w-race", 1)
        WakeProcessor(ctx, fleet_seams(fleet))(lease, queue)
        job = queue.get(lease.job.id)
    finally:
        ctx.close()
    assert fleet.stopped
    assert (job.state, job.last_reason) == ("cancelled", "target_stopped"), job.outcome
    assert launches(rig, "polecat/ida") == ["spawn"]  # not resurrected
    [row] = rig.ok("agent", "list")
    assert (row["incarnation"], row["state"]) == (1, "not running")


def test_a_target_busy_past_the_old_limits_gets_its_message_once_idle(rig: Rig) -> None:
    work = rig.ok("work", "create", "Build", "--body", busy_task(12))
    rig.ok("agent", "spawn", "joe", "--runtime", "sim", "--work", work["id"])
    wait_for(lambda: "● step 2/3: work 12s" in rig.transcript("joe"), timeout=30, what="joe busy")
    # "deliver anyway" after 1 s; the old worker then waited 1 s for a ready screen, failed,
    # and was dead after 2 such failures, long before joe was done
    rig.start_worker(
        BOSUN_TRIGGERS_QUIET_WINDOW="1",
        BOSUN_TRIGGERS_RECHECK="0.3",
        BOSUN_TRIGGERS_MAX_DEFER="1",
        BOSUN_TRIGGERS_BUSY_BACKOFF_CAP="1",
        BOSUN_TRIGGERS_MAX_ATTEMPTS="2",
        BOSUN_TRIGGERS_RETRY_BASE="0.2",
        BOSUN_RUNTIME_READY_TIMEOUT="1",
    )
    thread = rig.thread("Build status", "polecat/joe")
    seq = rig.post(thread, "joe, how is the build?")

    job = wait_for(
        lambda: (
            (j := rig.job_for(thread, seq))
            and j["state"] not in ("queued", "retry", "running")
            and j
        ),
        timeout=60,
        what="the trigger to joe to end",
    )
    assert (job["state"], job["failures"]) == ("completed", 0), rig.hops(job["id"])
    reasons = {h[2] for h in rig.hops(job["id"])[:-1]}
    assert "target_busy" in reasons and "not_ready" not in reasons
    transcript = wait_for(
        lambda: (t := rig.transcript("joe")) and "● received 1: [bosun]" in t and t, timeout=20
    )
    assert transcript.index("● Done: all 3 steps") < transcript.index("● received 1: [bosun]")


def test_a_dead_trigger_shows_in_status_fails_the_check_and_escalates(rig: Rig) -> None:
    from bosun.core.context import open_project
    from bosun.notify.engine import Notifier

    alerts = rig.tmp / "alerts.jsonl"
    rig.env["BOSUN_NOTIFY_COMMAND"] = f"cat >> {alerts}; echo >> {alerts}"
    work = rig.ok("work", "create", "Build", "--body", busy_task(20))
    rig.ok("agent", "spawn", "kim", "--runtime", "sim", "--work", work["id"])
    wait_for(lambda: "● step 2/3" in rig.transcript("kim"), timeout=30, what="kim busy")
    ctx = open_project(rig.root, env={**os.environ, **rig.env})
    try:
        notifier = Notifier(ctx)  # follows the log from now on, as inside `bosun supervise`
        thread = rig.thread("Urgent", "polecat/kim")
        seq = rig.post(thread, "kim, stop the build")
        rig.env.update(
            BOSUN_TRIGGERS_COLLISION_TIMEOUT="fail",
            BOSUN_TRIGGERS_QUIET_WINDOW="5",
            BOSUN_TRIGGERS_MAX_DEFER="0",
        )
        rig.work_once()
        job = rig.job_for(thread, seq)
        assert job is not None and job["state"] == "dead", job

        status = rig.ok("status")
        [line] = [a for a in status["attention"] if a.startswith(f"trigger {job['id']} ")]
        assert "polecat/kim" in line and f"bosun triggers requeue {job['id']}" in line
        assert [j["id"] for j in status["triggers"]["unresolved"]] == [job["id"]]
        assert "triggers: " in rig.run("status").out
        assert rig.run("status", "--check").code == 1
        [signal_row] = [
            s
            for s in rig.ok("signal", "list", "--type", "ESCALATION")
            if s["payload"].get("evidence", {}).get("job") == job["id"]
        ]
        assert signal_row["to"] == "bosun/operator"
        assert signal_row["payload"]["identity"] == "polecat/kim"

        sent = notifier.step()
        assert {a.reason for a, _ in sent} >= {"dead_letter", "escalated"}
        assert alerts.exists() and job["id"] in alerts.read_text()
    finally:
        ctx.close()

    # requeueing it resolves the trouble (a later job for the pair exists); the escalation
    # stays until a person acknowledges it
    rig.ok("triggers", "requeue", job["id"])
    assert not [a for a in rig.ok("status")["attention"] if a.startswith("trigger ")]
    rig.ok("signal", "ack", signal_row["id"])
    assert not [a for a in rig.ok("status")["attention"] if job["id"] in a]
