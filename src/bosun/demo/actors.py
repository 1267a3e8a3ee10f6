"""The demo's outside actors: what a person (or another program) does to the fleet while it
works — through the CLI, each in its own thread so the live view never waits on them.

    Messenger   types a multi-line note into the swallow-Enter agent (`bosun agent send`)
    Waker       posts a thread message for the dormant agent and runs the trigger worker
    Follower    runs the sentinel's follow-through (`bosun sentinel check`) once a second
                and types its nudges when the check did not type them itself
    Approver    answers the pipeline's human gate once the question is on disk
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bosun.demo.pipeline import APPROVE, GATE, PipelineRun
from bosun.demo.plan import AgentPlan
from bosun.demo.shell import Bosun

NOTE = (
    "Reviewer note on {feature}:\n"
    "the change reads well and the test covers it.\n"
    "No reply needed; carry on."
)


@dataclass
class Background:
    """One CLI action at a time, off the main loop; remembers what it did."""

    name: str
    thread: threading.Thread | None = None
    done: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def launch(self, work: Any) -> None:
        if self.busy:
            return
        self.thread = threading.Thread(target=work, name=f"demo-{self.name}", daemon=True)
        self.thread.start()

    def join(self, timeout: float) -> None:
        if self.thread is not None:
            self.thread.join(timeout)


class Messenger(Background):
    """Sends the note to a swallow-Enter agent once it has worked a while (at its prompt)."""

    def __init__(self, agent: AgentPlan, bosun: Bosun, attempts: int = 4) -> None:
        super().__init__(f"messenger-{agent.name}")
        self.agent, self.bosun, self.attempts = agent, bosun, attempts
        self.delivered: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.delivered is not None or len(self.problems) >= self.attempts

    def poke(self, started_working: bool) -> None:
        if self.finished or self.busy or not started_working:
            return
        self.launch(self._send)

    def _send(self) -> None:
        text = NOTE.format(feature=f"calc.{self.agent.feature.name}")
        call = self.bosun.call("agent", "send", self.agent.name, text)
        if call.ok and isinstance(call.data, dict):
            self.delivered = call.data
            self.done.append(f"note delivered ({call.data.get('enter_presses')} Enter presses)")
        else:
            self.problems.append(f"agent send {self.agent.name}: {call.error()}")
            time.sleep(1.0)


class Waker(Background):
    """Wakes a dormant agent: a thread message, a trigger, and the trigger worker."""

    def __init__(self, agent: AgentPlan, work_id: str, bosun: Bosun, max_runs: int = 8) -> None:
        super().__init__(f"waker-{agent.name}")
        self.agent, self.work_id, self.bosun, self.max_runs = agent, work_id, bosun, max_runs
        self.thread_id: str | None = None
        self.job_id: str | None = None
        self.runs = 0
        self.completed = False

    @property
    def finished(self) -> bool:
        return self.completed or self.runs >= self.max_runs

    def poke(self) -> None:
        if not self.finished and not self.busy:
            self.launch(self._step)

    def _step(self) -> None:
        try:
            if self.thread_id is None:
                self._post()
            self.runs += 1
            run = self.bosun.call("triggers", "work", "--once", timeout=240)
            if not run.ok:
                self.problems.append(f"triggers work: {run.error()}")
            self.completed = self._job_state() == "completed"
            if not self.completed:
                time.sleep(1.0)
        except Exception as exc:  # noqa: BLE001 - reported in the demo's result, not lost
            self.problems.append(f"waking {self.agent.ref}: {exc}")
            self.runs = self.max_runs

    def _post(self) -> None:
        ref = self.agent.ref
        thread = self.bosun.ok("thread", "create", f"calc.{self.agent.feature.name}", "-p", ref)
        self.thread_id = str(thread["id"])
        self.bosun.ok(
            "thread",
            "post",
            self.thread_id,
            f"{ref}: work item {self.work_id} is on your hook and unblocked — please pick it "
            f"up (add calc.{self.agent.feature.name}).",
        )
        envelope = self.bosun.ok(
            "trigger", ref, "--thread", self.thread_id, "--reason", "new work on your hook"
        )
        self.job_id = str(envelope.get("job_id") or "")
        self.done.append(f"thread {self.thread_id}: message posted, trigger {self.job_id}")

    def _job_state(self) -> str | None:
        jobs = self.bosun.call("triggers", "list", "--limit", "50")
        for job in jobs.data if isinstance(jobs.data, list) else []:
            if str(job.get("id")) == self.job_id:
                return str(job.get("state"))
        return None


class Follower(Background):
    """The sentinel's follow-through pass, once a second, delivering its nudges."""

    def __init__(self, bosun: Bosun, names: dict[str, str]) -> None:
        super().__init__("sentinel")
        self.bosun, self.names = bosun, names  # identity → agent name
        self.nudges = 0
        self.last = 0.0

    def poke(self) -> None:
        if self.busy or time.monotonic() - self.last < 1.0:
            return
        self.last = time.monotonic()
        self.launch(self._check)

    def _check(self) -> None:
        report = self.bosun.call("sentinel", "check")
        if not report.ok or not isinstance(report.data, dict):
            self.problems.append(f"sentinel check: {report.error()}")
            return
        if "deliveries" in report.data:  # the check typed its nudges itself
            self.nudges += sum(1 for d in report.data["deliveries"] if d.get("delivered"))
            return
        for nudge in report.data.get("nudges") or []:
            name = self.names.get(str(nudge.get("identity")))
            if name is None:
                continue
            sent = self.bosun.call("agent", "send", name, str(nudge.get("text")))
            if sent.ok:
                self.nudges += 1
                self.done.append(f"sentinel nudge typed into {nudge.get('identity')}")
            else:
                self.problems.append(f"sentinel nudge to {name}: {sent.error()}")


class Approver(Background):
    def __init__(self, run: PipelineRun, bosun: Bosun) -> None:
        super().__init__("approver")
        self.run, self.bosun = run, bosun

    def poke(self) -> None:
        if self.run.answered or self.busy or not self.run.question_waiting():
            return
        self.launch(self._answer)

    def _answer(self) -> None:
        call = self.bosun.call("run", "answer", self.run.run_id, GATE, APPROVE)
        if call.ok:
            self.run.answered = True
            self.done.append(f"human gate {GATE!r} answered {APPROVE!r}")
        else:
            self.problems.append(f"run answer: {call.error()}")
            time.sleep(1.0)
