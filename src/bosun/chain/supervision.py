"""The guardian's side of one running agent node: it answers the runner until the node has
an outcome. Every signal from the runner becomes a progress event, MERGE_READY goes through
the merge queue, and RUNNER_DONE carries the node's outcome. A runner that dies without
reporting fails the node, is marked crashed, and its orchestrator is stopped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.agents.driver import project_fleet
from bosun.base.errors import BosunError
from bosun.chain import orchestrator
from bosun.chain.names import Layer
from bosun.chain.progress import WorkMarks, moved, read_marks
from bosun.chain.records import (
    FINISHED,
    RunnerStatus,
    read_state,
    spec_path,
    state_path,
    write_state,
)
from bosun.chain.spawn import RunnerProcess
from bosun.core.records import IdentityStatus
from bosun.pipeline.outcomes import FailureClass, Outcome, failure
from bosun.pipeline.runs import pid_alive

if TYPE_CHECKING:
    from bosun.chain.guardian import Guardian
    from bosun.chain.records import RunnerSpec
    from bosun.core.context import Context
    from bosun.pipeline.handlers.base import HandlerContext

MARKS_EVERY = 1.0  # seconds between two readings of the orchestrator's work marks
EVENTS = {
    "NODE_STARTED": "agent_orchestrator_started",
    "IMPL_COMPLETE": "agent_impl_complete",
    "x-orchestrator-exited": "agent_orchestrator_exited",
    "x-orchestrator-respawned": "agent_orchestrator_respawned",
}


class NodeSupervision:
    def __init__(
        self,
        ctx: Context,
        guardian: Guardian,
        spec: RunnerSpec,
        process: RunnerProcess,
        hc: HandlerContext,
    ) -> None:
        self.ctx, self.guardian, self.spec, self.process, self.hc = (
            ctx,
            guardian,
            spec,
            process,
            hc,
        )
        self.grace = ctx.config.number("chain.runner_grace")
        self.merge_timeout = ctx.config.number("chain.merge_timeout")
        self.poll = ctx.config.number("chain.poll_interval")
        self.checkpoint: float | None = None
        self.runner = RunnerHandle(process)
        self.fleet = project_fleet(ctx)
        self.branch = orchestrator.worktree_for(ctx, spec.name).branch
        self.marks: WorkMarks | None = None
        self.marks_every = max(self.poll, MARKS_EVERY)
        self.next_marks = 0.0

    def wait(self) -> Outcome:
        deadline = time.monotonic() + self.spec.timeout + self.grace
        while True:
            decided = self._answer()
            if decided is not None:
                return self._reaped(decided)
            ended = self.runner.ended()
            if ended is not None:
                decided = self._answer()  # it may have reported just before exiting
                if decided is not None:
                    return self._reaped(decided)
                return self._runner_died(
                    f"runner {self.process.runner} {ended} before reporting an outcome"
                )
            if self.hc.cancel.cancelled:
                return self._cancel(f"canceled: {self.hc.cancel.reason}")
            if time.monotonic() >= deadline:
                self._terminate()
                return self._runner_died(
                    f"runner {self.process.runner} did not report within "
                    f"{self.spec.timeout + self.grace:g}s"
                )
            self._progress()
            time.sleep(self.poll)

    # -- the runner's signals -------------------------------------------------------------

    def _answer(self) -> Outcome | None:
        for sig in self.guardian.inbox(self.process.runner):
            self.ctx.signals.ack(sig.id)
            node = self.spec.node_id
            if (sig.payload.get("execution") or "") != self.spec.execution:
                # an earlier execution's word (its guardian crashed before reading it)
                self.hc.emit(
                    "agent_stale_signal_dropped",
                    node_id=node,
                    signal=sig.type,
                    execution=str(sig.payload.get("execution") or ""),
                )
                continue
            if sig.type in EVENTS:
                self.hc.emit(EVENTS[sig.type], node_id=node, **_scalars(sig.payload))
            elif sig.type == "MERGE_READY":
                self._merge(sig.payload)
            elif sig.type == "RUNNER_DONE":
                outcome = Outcome.from_json(dict(sig.payload.get("outcome") or {}))
                self.hc.emit(
                    "agent_runner_done",
                    node_id=node,
                    status=outcome.status,
                    worktree=sig.payload.get("worktree"),
                )
                return outcome
            elif sig.type == "NODE_FAILED":
                reason = str(sig.payload.get("reason") or "the runner failed")
                return failure(reason, FailureClass.DETERMINISTIC)
        return None

    def _merge(self, payload: dict[str, Any]) -> None:
        node = self.spec.node_id
        branch = str(payload.get("branch") or "")
        target = str(payload.get("target") or self.spec.merge_target)
        self.hc.emit("agent_merge_ready", node_id=node, branch=branch, target=target)
        verdict = self.guardian.merge(
            self.process.orchestrator,
            branch,
            str(payload.get("work_id") or self.spec.work_id),
            target,
            self.merge_timeout,
        )
        kind = "MERGE_COMPLETE" if verdict.landed else "MERGE_FAILED"
        self.hc.emit(f"agent_{kind.lower()}", node_id=node, **_scalars(verdict.payload()))
        stamped = {**verdict.payload(), "execution": self.spec.execution}
        self.guardian.send(self.process.runner, kind, stamped)

    def _progress(self) -> None:
        """Tell the stall watchdog what shows the node works: its orchestrator's screen,
        tool calls, commits, model requests and checkpoints (bosun.chain.progress). A
        checkpoint is also a progress event; the others are not written down."""
        now = time.monotonic()
        if now < self.next_marks:
            return
        self.next_marks = now + self.marks_every
        marks = read_marks(self.ctx, self.fleet, self.spec.name, self.branch)
        for source in moved(self.marks, marks):
            self.hc.progress(source)
        self.marks = marks
        try:
            hook = self.ctx.hooks.find(Layer.ORCHESTRATOR.role, self.spec.name)
        except BosunError:
            return  # not registered yet
        if hook is not None and hook.checkpoint_at and hook.checkpoint_at != self.checkpoint:
            self.checkpoint = hook.checkpoint_at
            self.hc.emit(
                "agent_checkpoint",
                node_id=self.spec.node_id,
                note=(hook.checkpoint_note or "")[:200],
                phase=str(hook.phase),
            )

    # -- the runner's process -------------------------------------------------------------

    def _reaped(self, outcome: Outcome) -> Outcome:
        if not self.runner.wait(self.grace):
            self._terminate()
        return outcome

    def _terminate(self) -> None:
        for sig, wait in ((signal.SIGTERM, self.grace), (signal.SIGKILL, 10.0)):
            if self.runner.ended() is not None:
                return
            self.runner.send_group(sig)
            if self.runner.wait(wait):
                return

    def _cancel(self, reason: str) -> Outcome:
        """Ask the runner to stop (it stops its orchestrator and reports); then make sure."""
        if self.runner.ended() is None:
            self.runner.send(signal.SIGTERM)
            self.runner.wait(self.grace)
        self._answer()
        if self.runner.ended() is None:
            self._terminate()
            return self._runner_died(f"{reason}; the runner did not stop in time")
        orchestrator.stop(self.ctx, project_fleet(self.ctx), self.spec.name, reason)
        return failure(reason, FailureClass.CANCELED)

    def _runner_died(self, reason: str) -> Outcome:
        """No orphan session, the runner identity crashed, its state file says so."""
        name = self.spec.name
        stopped = orchestrator.stop(self.ctx, project_fleet(self.ctx), name, reason)
        with contextlib.suppress(BosunError):
            self.ctx.identities.set_status(Layer.RUNNER.role, name, IdentityStatus.CRASHED, reason)
        state = read_state(self.process.state_file)
        if state is not None and state.status not in (RunnerStatus.DONE, RunnerStatus.FAILED):
            write_state(self.process.state_file, state.moved(RunnerStatus.CRASHED, reason=reason))
        with self.ctx.store.transaction() as tx:
            tx.emit(
                "chain.runner_crashed",
                self.process.runner,
                {"node": self.spec.node_id, "reason": reason, "session_stopped": stopped},
            )
        self.hc.emit("agent_runner_crashed", node_id=self.spec.node_id, reason=reason)
        return failure(reason, FailureClass.DETERMINISTIC)


class RunnerHandle:
    """The runner's process: the child this guardian started, or one it adopted from a
    guardian that crashed (known by pid only; its session is its process group)."""

    def __init__(self, process: RunnerProcess) -> None:
        self.pid, self.proc = process.pid, process.proc

    def ended(self) -> str | None:
        """None while the runner runs, else how it ended."""
        if self.proc is not None:
            code = self.proc.poll()
            return None if code is None else f"exited with code {code}"
        return None if pid_alive(self.pid) else "(adopted) exited"

    def wait(self, timeout: float) -> bool:
        """True once the runner has ended (within `timeout` seconds)."""
        if self.proc is not None:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        while pid_alive(self.pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def send(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)

    def send_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)


def adoptable_runner(logs_root: Path, name: str) -> RunnerProcess | None:
    """The runner of node `name` that a crashed guardian left running, when there is one:
    its state says it has not reported, and its pid is that runner (its command line names
    its spec file). A resumed run supervises it instead of starting a second one."""
    state_file, spec_file = state_path(logs_root, name), spec_path(logs_root, name)
    try:
        state = read_state(state_file)
    except BosunError:
        return None
    if state is None or state.status in FINISHED or not state.pid or not pid_alive(state.pid):
        return None
    try:
        argv = Path(f"/proc/{state.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if b"bosun.chain.runner" not in argv or str(spec_file).encode() not in argv:
        return None
    return RunnerProcess(
        state.pid,
        state.runner,
        state.orchestrator,
        state_file,
        spec_file,
        spec_file.with_name(f"{name}.log"),
    )


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("name", "node", "node_id", "run_id")}
