"""Layer 2, the runner: one process per execution of an agent node.

It registers the orchestrator's identity and hook, launches the orchestrator through the
fleet, and then watches it until the node's outcome is decided — by the orchestrator's
reports (IMPL_COMPLETE / MERGE_READY signals, its hook phase, the status file), by the
guardian's merge verdict, by the node timeout, or by the supervisor's ladder escalating.
A crash of the orchestrator decides nothing while a supervisor runs: the ladder restarts it
with the seance prompt and the runner follows the new incarnation.

Run as `python -m bosun.chain.runner SPEC_FILE` (started by the guardian or by
`bosun spawn-runner`). Exit 0 means it reported an outcome (success or failure) to the
guardian; any other exit is a runner crash, which the guardian records.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.agents.driver import project_fleet
from bosun.base.clock import iso
from bosun.base.errors import BosunError
from bosun.chain import orchestrator
from bosun.chain.names import Layer, guardian_ref
from bosun.chain.phases import advance
from bosun.chain.records import (
    RunnerSpec,
    RunnerState,
    RunnerStatus,
    read_spec,
    state_path,
    write_state,
)
from bosun.core.context import open_project
from bosun.core.records import IdentityStatus, Phase
from bosun.pipeline.outcomes import FailureClass, Outcome, failure, success
from bosun.supervisor.daemon import running_supervisor

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.agents.sessions import AgentSession
    from bosun.core.context import Context
    from bosun.core.records import Signal

RUNNER, ORCH = Layer.RUNNER.role, Layer.ORCHESTRATOR.role
S = RunnerStatus


def read_reported(path: Path) -> Outcome | None:
    """The outcome in the status file, or None (absent, or not complete JSON yet)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Outcome.from_json(data) if isinstance(data, dict) else None


class Runner:
    def __init__(self, ctx: Context, spec: RunnerSpec, fleet: Fleet) -> None:
        self.ctx, self.spec, self.fleet = ctx, spec, fleet
        self.name = spec.name
        self.ref, self.orch = f"{RUNNER}/{spec.name}", f"{ORCH}/{spec.name}"
        self.guardian = guardian_ref(spec.run_id)
        self.state_file = state_path(spec.logs_root, spec.name)
        self.poll = ctx.config.number("chain.poll_interval")
        self.beat_every = ctx.config.number("chain.heartbeat_interval")
        self.stopping = threading.Event()
        self.stop_reason = ""
        self.tree = orchestrator.worktree_for(ctx, spec.name)
        started = iso(time.time())
        self.state = RunnerState(
            S.STARTING, self.ref, self.orch, os.getpid(), started, history=((S.STARTING, started),)
        )
        self.incarnation: int | None = None
        self.baseline: int | None = None  # the incarnation before this execution's launch
        self.launch_error: str | None = None
        self.launcher: threading.Thread | None = None
        self.exited: set[int] = set()
        self.impl_reported = False
        self.merge_forwarded = False

    # -- plumbing -------------------------------------------------------------------------

    def request_stop(self, reason: str) -> None:
        self.stop_reason = reason
        self.stopping.set()

    def _move(self, status: RunnerStatus, **changes: Any) -> None:
        self.state = self.state.moved(status, **changes)
        write_state(self.state_file, self.state)

    def _tell_guardian(self, kind: str, payload: dict[str, Any]) -> None:
        body = {
            "node": self.spec.node_id,
            "run_id": self.spec.run_id,
            "execution": self.spec.execution,
            **payload,
        }
        try:
            self.ctx.signals.send(self.guardian, kind, body, sender=self.ref)
        except BosunError as exc:  # a runner started by hand may have no guardian
            self._event("chain.guardian_unreachable", {"signal": kind, "error": exc.message})

    def _event(self, kind: str, data: dict[str, Any], subject: str | None = None) -> None:
        with self.ctx.store.transaction() as tx:
            tx.emit(kind, subject or self.ref, {"node": self.spec.node_id, **data})

    # -- the life of a runner --------------------------------------------------------------

    def run(self) -> int:
        write_state(self.state_file, self.state)
        self.ctx.identities.heartbeat(RUNNER, self.name)
        advance(self.ctx, RUNNER, self.name, Phase.EXECUTING)
        try:
            orchestrator.register(self.ctx, self.spec)
            before = self.fleet.session(ORCH, self.name)
            self.baseline = before.incarnation if before is not None else None
            self.tree = orchestrator.prepare_worktree(self.ctx, self.spec)
        except BosunError as exc:
            return self._finish(
                failure(f"orchestrator setup failed: {exc.message}", FailureClass.STRUCTURAL)
            )
        self._move(S.LAUNCHING)
        # The fleet returns once the session's screen is ready, which for an agent that starts
        # working at once may be when its work is done: the runner watches meanwhile.
        self.launcher = threading.Thread(target=self._launch, daemon=True, name="bosun-launch")
        self.launcher.start()
        return self._finish(self._watch(time.monotonic() + self.spec.timeout))

    def _launch(self) -> None:
        try:
            orchestrator.launch(self.ctx, self.fleet, self.spec, self.tree)
        except BosunError as exc:
            self.launch_error = exc.message

    def _started(self, session: AgentSession) -> None:
        """The first session of this execution exists: the orchestrator is working."""
        self.incarnation = session.incarnation
        self._move(S.RUNNING, orchestrator_pid=session.pid, incarnation=session.incarnation)
        advance(self.ctx, ORCH, self.name, Phase.EXECUTING)
        self._tell_guardian(
            "NODE_STARTED",
            {
                "orchestrator": self.orch,
                "pid": session.pid,
                "incarnation": session.incarnation,
                "worktree": str(self.tree.path),
                "branch": self.tree.branch,
            },
        )

    def _watch(self, deadline: float) -> Outcome:
        next_beat = 0.0
        while True:
            if self.stopping.is_set():
                return failure(f"canceled: {self.stop_reason}", FailureClass.CANCELED)
            now = time.monotonic()
            if now >= next_beat:
                self.ctx.identities.heartbeat(RUNNER, self.name)
                next_beat = now + self.beat_every
            if now >= deadline:
                return failure(
                    f"node timeout: {self.orch} did not report within {self.spec.timeout:g}s",
                    FailureClass.DETERMINISTIC,
                )
            decided = self._signals() or self._session() or self._reports()
            if decided is not None:
                return decided
            self.stopping.wait(self.poll)

    # -- what the orchestrator and the guardian say ---------------------------------------

    def _signals(self) -> Outcome | None:
        for sig in self.ctx.signals.list(to=self.ref, unread=True):
            self.ctx.signals.ack(sig.id)
            decided = self._on_signal(sig)
            if decided is not None:
                return decided
        return None

    def _on_signal(self, sig: Signal) -> Outcome | None:
        stamp = sig.payload.get("execution") or ""
        if sig.sender == self.guardian and stamp != self.spec.execution:
            self._event(  # meant for another execution of this node
                "chain.signal_stale",
                {"signal": sig.id, "type": sig.type, "execution": stamp},
            )
            return None
        if sig.sender == self.orch and sig.type == "IMPL_COMPLETE":
            return self._impl_complete()
        if sig.sender == self.orch and sig.type == "MERGE_READY":
            return self._merge_ready(sig.payload)
        if sig.sender == self.guardian and sig.type == "MERGE_COMPLETE":
            return self._merged(sig.payload)
        if sig.sender == self.guardian and sig.type == "MERGE_FAILED":
            files = [str(f) for f in sig.payload.get("files") or []]
            reason = str(sig.payload.get("reason") or "the merge queue refused the branch")
            shown = f"conflict in {', '.join(files)}" if files else reason
            return failure(
                f"merge failed: {shown}",
                FailureClass.DETERMINISTIC,
                context_updates={
                    "merge.conflict_files": files,
                    "merge.failure_reason": reason,
                    "merge.request": sig.payload.get("request"),
                },
            )
        self._event(
            "chain.signal_ignored", {"signal": sig.id, "type": sig.type, "from": sig.sender}
        )
        return None

    def _impl_complete(self) -> Outcome | None:
        if not self.impl_reported:
            self.impl_reported = True
            advance(self.ctx, ORCH, self.name, Phase.IMPL_COMPLETE)
            self._tell_guardian("IMPL_COMPLETE", {"orchestrator": self.orch})
        if not self.spec.merge_target:
            reported = read_reported(self.spec.status_path)
            return reported or success()
        return None

    def _merge_ready(self, payload: dict[str, Any]) -> Outcome | None:
        done = self._impl_complete()
        if done is not None or self.merge_forwarded:
            return done
        reported = read_reported(self.spec.status_path)
        if reported is not None and reported.is_failure:
            return reported  # the orchestrator gave up; nothing to merge
        self.merge_forwarded = True
        branch = str(payload.get("branch") or self.tree.branch)
        self._move(S.MERGING)
        self._tell_guardian(
            "MERGE_READY",
            {
                "branch": branch,
                "target": self.spec.merge_target,
                "work_id": self.spec.work_id,
                "orchestrator": self.orch,
            },
        )
        return None

    def _merged(self, payload: dict[str, Any]) -> Outcome:
        reported = read_reported(self.spec.status_path)
        updates = {
            "merge.commit": payload.get("commit"),
            "merge.target": payload.get("target") or self.spec.merge_target,
            "merge.request": payload.get("request"),
        }
        if reported is None:
            return success(context_updates=updates)
        return reported.with_status(
            reported.status, context_updates={**reported.context_updates, **updates}
        )

    # -- the orchestrator's session and hook ----------------------------------------------

    def _session(self) -> Outcome | None:
        identity = self.ctx.identities.find(ORCH, self.name)
        if identity is not None and identity.status == IdentityStatus.QUARANTINED:
            return failure(
                f"the supervisor escalated {self.orch}: {identity.status_reason or 'quarantined'}",
                FailureClass.DETERMINISTIC,
            )
        session = self.fleet.session(ORCH, self.name)
        if session is None or (self.baseline is not None and session.incarnation <= self.baseline):
            if self.launch_error is not None:
                return failure(
                    f"orchestrator launch failed: {self.launch_error}", FailureClass.STRUCTURAL
                )
            return None
        if self.incarnation is None:
            self._started(session)
        elif session.incarnation != self.incarnation:
            if self.incarnation not in self.exited:  # restarted between two of our looks
                self._report_exit(self.incarnation, self._ended_code(self.incarnation))
            self.incarnation = session.incarnation
            self._move(
                self.state.status, orchestrator_pid=session.pid, incarnation=session.incarnation
            )
            self._tell_guardian(
                "x-orchestrator-respawned",
                {"incarnation": session.incarnation, "pid": session.pid},
            )
        if session.incarnation in self.exited:
            return None
        code: int | None
        if session.live:
            live = self.fleet.runtime.liveness(self.fleet.handle(session))
            if not live.dead:
                return None
            code = live.exit_code
        else:
            code = session.exit_code
        self._report_exit(session.incarnation, code)
        if running_supervisor(self.ctx) is None:
            why = f" ({self.launch_error})" if self.launch_error else ""
            return failure(
                f"{self.orch} exited (code {code}){why} and no supervisor is running to "
                "restart it; start one with `bosun supervise --detach`",
                FailureClass.DETERMINISTIC,
            )
        return None

    def _report_exit(self, incarnation: int, code: int | None) -> None:
        self.exited.add(incarnation)
        self._event(
            "chain.orchestrator_exited",
            {"incarnation": incarnation, "exit_code": code},
            subject=self.orch,
        )
        self._tell_guardian(
            "x-orchestrator-exited", {"incarnation": incarnation, "exit_code": code}
        )

    def _ended_code(self, incarnation: int) -> int | None:
        """The exit code the `agent.ended` event recorded for an earlier incarnation."""
        for event in reversed(self.ctx.events.tail(50, kind="agent.ended", subject=self.orch)):
            if event.data.get("incarnation") == incarnation:
                code = event.data.get("exit_code")
                return code if isinstance(code, int) else None
        return None

    def _reports(self) -> Outcome | None:
        hook = self.ctx.hooks.find(ORCH, self.name)
        if hook is not None and hook.work_id == self.spec.work_id:
            if hook.phase == Phase.IMPL_COMPLETE and not self.impl_reported:
                return self._impl_complete()
            if hook.phase == Phase.MERGE_READY and not self.merge_forwarded:
                return self._merge_ready({})
        reported = read_reported(self.spec.status_path)
        if reported is None:
            return None
        if reported.is_failure or not self.spec.merge_target:
            return reported
        return None

    # -- the end --------------------------------------------------------------------------

    def _finish(self, outcome: Outcome) -> int:
        verdict = "succeeded" if not outcome.is_failure else "failed"
        reason = f"node {self.spec.node_id} {verdict}" + (
            f": {outcome.failure_reason}" if outcome.failure_reason else ""
        )
        stopped = orchestrator.stop(self.ctx, self.fleet, self.name, reason[:4000])
        if self.launcher is not None:
            self.launcher.join(timeout=10)  # it ends once the session it waits on is gone
        worktree = "kept"
        if outcome.context_updates.get("merge.commit") and self.spec.merge_target:
            worktree = orchestrator.release_worktree(self.ctx, self.tree, self.spec.merge_target)
        updates = {
            **outcome.context_updates,
            "agent.orchestrator": self.orch,
            "agent.branch": self.tree.branch,
            "agent.worktree": str(self.tree.path),
            "agent.incarnation": self.incarnation,
        }
        outcome = outcome.with_status(outcome.status, context_updates=updates)
        for role in (RUNNER, ORCH) if not outcome.is_failure else (RUNNER,):
            # a failed node keeps the orchestrator's work pinned: a retry continues it
            hook = self.ctx.hooks.find(role, self.name)
            if hook is not None and hook.unfinished and hook.work_id == self.spec.work_id:
                self.ctx.hooks.release(role, self.name)
        self._move(S.FAILED if outcome.is_failure else S.DONE, outcome=outcome.to_json())
        self._event(
            "chain.node_finished",
            {
                "status": outcome.status,
                "failure_reason": outcome.failure_reason,
                "session_stopped": stopped,
                "worktree": worktree,
            },
        )
        self._tell_guardian("RUNNER_DONE", {"outcome": outcome.to_json(), "worktree": worktree})
        self.ctx.identities.set_status(RUNNER, self.name, IdentityStatus.TERMINATED, reason[:4000])
        return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m bosun.chain.runner SPEC_FILE\n")
        return 2
    spec = read_spec(Path(args[0]))
    ctx = open_project(Path(spec.project_root))
    runner = Runner(ctx, spec, project_fleet(ctx))

    def on_signal(signum: int, _frame: object) -> None:
        runner.request_stop(f"runner got {signal.Signals(signum).name}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        return runner.run()
    except BaseException as exc:
        _crashed(ctx, runner, exc)
        raise
    finally:
        ctx.close()


def _crashed(ctx: Context, runner: Runner, exc: BaseException) -> None:
    """An unexpected error: leave no session behind and tell the guardian why."""
    reason = f"runner error: {type(exc).__name__}: {exc}"[:4000]
    try:
        orchestrator.stop(ctx, runner.fleet, runner.name, reason)
        runner._tell_guardian("NODE_FAILED", {"reason": reason})
        ctx.identities.set_status(RUNNER, runner.name, IdentityStatus.CRASHED, reason)
    except BosunError:
        pass


if __name__ == "__main__":
    sys.exit(main())
