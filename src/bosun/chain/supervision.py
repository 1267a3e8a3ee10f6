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
from typing import TYPE_CHECKING, Any

from bosun.agents.driver import project_fleet
from bosun.base.errors import BosunError
from bosun.chain import orchestrator
from bosun.chain.names import Layer
from bosun.chain.records import RunnerStatus, read_state, write_state
from bosun.core.records import IdentityStatus
from bosun.pipeline.outcomes import FailureClass, Outcome, failure

if TYPE_CHECKING:
    from bosun.chain.guardian import Guardian
    from bosun.chain.records import RunnerSpec
    from bosun.chain.spawn import RunnerProcess
    from bosun.core.context import Context
    from bosun.pipeline.handlers.base import HandlerContext

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

    def wait(self) -> Outcome:
        deadline = time.monotonic() + self.spec.timeout + self.grace
        while True:
            decided = self._answer()
            if decided is not None:
                return self._reaped(decided)
            code = self._proc_exit()
            if code is not None:
                decided = self._answer()  # it may have reported just before exiting
                if decided is not None:
                    return self._reaped(decided)
                return self._runner_died(
                    f"runner {self.process.runner} exited with code {code} "
                    "before reporting an outcome"
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
        self.guardian.send(self.process.runner, kind, verdict.payload())

    def _progress(self) -> None:
        """The orchestrator's checkpoints are the node's progress (for the stall watchdog)."""
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

    def _proc_exit(self) -> int | None:
        proc = self.process.proc
        return proc.poll() if proc is not None else None

    def _reaped(self, outcome: Outcome) -> Outcome:
        proc = self.process.proc
        if proc is not None:
            try:
                proc.wait(timeout=self.grace)
            except subprocess.TimeoutExpired:
                self._terminate()
        return outcome

    def _terminate(self) -> None:
        proc = self.process.proc
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, self.grace), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def _cancel(self, reason: str) -> Outcome:
        """Ask the runner to stop (it stops its orchestrator and reports); then make sure."""
        proc = self.process.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=self.grace)
        self._answer()
        if proc is not None and proc.poll() is None:
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


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("name", "node", "node_id", "run_id")}
