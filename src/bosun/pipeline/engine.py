"""The engine: walk the graph from the checkpoint, route, gate, restart, and end every run
in a terminal final.json (written before the terminal event, on every exit path)."""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from bosun.base.clock import iso
from bosun.base.durations import parse_duration
from bosun.base.errors import InvalidInput
from bosun.pipeline.edges import EdgeDecision, SelectionMethod, select_edge
from bosun.pipeline.executor import NodeExecutor, RunEnv, apply_outcome
from bosun.pipeline.gates import ExitPolicy, exit_policy, retry_target, unsatisfied_gates
from bosun.pipeline.graph import Edge, Node
from bosun.pipeline.handlers.base import BranchResult, CancelToken, RunContext
from bosun.pipeline.nodetypes import NodeType
from bosun.pipeline.outcomes import FailureClass, Outcome
from bosun.pipeline.recorder import Recorder
from bosun.pipeline.retry import RestartAction, decide_loop_restart, restart_signature
from bosun.pipeline.rundir import FinalRecord, FinalStatus, RunDir
from bosun.pipeline.stall import StallWatchdog
from bosun.pipeline.state import RunState
from bosun.pipeline.toolgroups import kill_recorded_groups

DETERMINISTIC_CYCLE_LIMIT = 3


class _Stop(Exception):
    def __init__(self, status: FinalStatus, reason: str, node: str) -> None:
        super().__init__(reason)
        self.status, self.reason, self.node = status, reason, node


def _graph_int(env: RunEnv, key: str, setting: str, default: int) -> int:
    raw = env.graph.get(key).strip()
    if raw.isdigit():
        return int(raw)
    return int(env.settings.get(setting, default))


class Engine:
    def __init__(
        self,
        env: RunEnv,
        rundir: RunDir,
        state: RunState,
        workdir: Path,
        cancel: CancelToken | None = None,
        keep_worktree: bool = True,
        worktree: Path | None = None,
    ) -> None:
        self.env = env
        self.rundir = rundir
        self.state = state
        self.workdir = workdir
        self.worktree = worktree
        self.keep_worktree = keep_worktree
        self.cancel = cancel or CancelToken()
        self.recorder = Recorder(rundir, env.project)
        self.ctx = RunContext(state.context)
        self.final: FinalRecord | None = None
        raw_stall = env.graph.get("stall_timeout") or env.settings.get("stall_timeout", 600.0)
        try:
            self.stall_timeout = parse_duration(raw_stall, "stall_timeout")
        except InvalidInput:
            self.stall_timeout = float(env.settings.get("stall_timeout", 600.0))
        self.watchdog = StallWatchdog(self.stall_timeout, env.clock)
        self.executor = NodeExecutor(env, self._emit, self.watchdog.progress)

    # -- events ------------------------------------------------------------------------
    def _emit(self, name: str, /, **data: object) -> None:
        self.watchdog.progress(f"event:{name}")
        self.recorder.event(name, **data)
        if name == "human_question":
            self.watchdog.pause()
            self.state.waiting_gate = {**data, "asked_at": iso(self.env.clock.now())}
            self._checkpoint()
            self.recorder.waiting(self.state.waiting_gate)
        elif name == "human_answered":
            self.watchdog.resume()
            self.state.waiting_gate = None
            self._checkpoint()
            self.recorder.waiting(None)

    # -- the run -----------------------------------------------------------------------
    def run(self, resumed: bool = False) -> FinalRecord:
        stop_watchdog = threading.Event()
        watchdog = threading.Thread(
            target=self._watchdog, args=(stop_watchdog,), daemon=True, name="bosun-stall-watchdog"
        )
        try:
            self.recorder.started(str(self.env.graph.source), resumed)
            self._checkpoint()
            watchdog.start()
            try:
                self._loop()
            except _Stop as stop:
                return self._finish(stop.status, stop.reason, stop.node)
            raise AssertionError("the loop ends only by _Stop")
        except Exception as exc:  # noqa: BLE001 - every exit path writes final.json
            with contextlib.suppress(OSError):  # a full disk must not cost the final.json
                (self.rundir.root / "engine_error.txt").write_text(traceback.format_exc())
            return self._finish(
                FinalStatus.FAIL,
                f"engine error: {type(exc).__name__}: {exc}",
                self.state.current_node,
            )
        finally:
            stop_watchdog.set()

    def _watchdog(self, stop: threading.Event) -> None:
        interval = max(0.02, min(5.0, self.stall_timeout / 4))
        while not stop.wait(interval):
            idle = self.watchdog.stalled()
            if idle is not None and not self.cancel.cancelled:
                last = self.watchdog.last_source
                self.recorder.event(
                    "stall_watchdog_timeout", idle_s=round(idle, 3), last_progress=last
                )
                self.cancel.cancel(
                    f"stall watchdog: no progress for {idle:.1f}s (last progress: {last})"
                )

    def _check_cancel(self, node: str) -> None:
        if self.cancel.cancelled:
            reason = self.cancel.reason or "canceled"
            status = FinalStatus.FAIL if reason.startswith("stall") else FinalStatus.CANCELED
            raise _Stop(status, reason, node)

    def _loop(self) -> None:
        graph, state = self.env.graph, self.state
        max_visits = _graph_int(self.env, "max_node_visits", "max_node_visits", 0)
        while True:
            if state.route_pending:  # resumed between a stage's two checkpoints
                done = graph.nodes[state.current_node]
                self._routed(done, Outcome.from_json(state.last_outcomes[done.id]))
                continue
            next_node = state.next_node
            self._check_cancel(state.current_node)
            if next_node is None:
                if self._gates_or_retry(state.current_node):
                    continue
                self._end_of_graph(state.current_node)
                return
            node_id: str = next_node
            node = graph.nodes[node_id]
            visit = state.visits.get(node_id, 0) + 1
            if max_visits and visit > max_visits:
                raise _Stop(
                    FinalStatus.FAIL,
                    f"max_node_visits ({max_visits}) exceeded at {node_id}",
                    node_id,
                )
            state.visits[node_id] = visit
            if node.type == NodeType.EXIT:
                self._at_exit(node, visit)
                continue
            outcome, attempts = self.executor.execute(
                node,
                self.ctx,
                self.rundir,
                self.workdir,
                self.cancel,
                visit,
                run_branch=self._branch_runner(node_id),
                merge_branch=self._merge if self.env.git else None,
            )
            self._record(node, outcome, attempts)
            self._check_cancel(node_id)  # a canceled stage is not recorded as completed
            state.route_pending = True
            self._checkpoint()  # §3.2 step 5: saved before the next edge is chosen
            self._routed(node, outcome)

    def _routed(self, node: Node, outcome: Outcome) -> None:
        self.state.next_node = self._route(node, outcome)
        self.state.route_pending = False
        self._checkpoint()

    def _branch_runner(
        self, fan: str
    ) -> Callable[[str, str, RunContext, CancelToken], BranchResult]:
        def run_branch(start: str, join: str, ctx: RunContext, token: CancelToken) -> BranchResult:
            return self.executor.run_branch(fan, start, join, ctx, token, self.rundir, self.workdir)

        return run_branch

    def _record(self, node: Node, outcome: Outcome, attempts: int) -> None:
        state = self.state
        apply_outcome(self.ctx, node, outcome)
        state.current_node = node.id
        state.completed_nodes.append(node.id)
        state.node_retries[node.id] = attempts - 1
        state.last_outcomes[node.id] = outcome.to_json()
        line = f"{iso(self.env.clock.now())} {node.id} {outcome.status}"
        state.logs.append(f"{line}: {outcome.failure_reason}" if outcome.is_failure else line)
        self.ctx.set("completed_nodes", list(state.completed_nodes))
        if not node.kind.pass_through:
            if outcome.status == "fail" and node.id not in state.failed_nodes:
                state.failed_nodes.append(node.id)
            elif outcome.status != "fail" and node.id in state.failed_nodes:
                state.failed_nodes.remove(node.id)
        if self.env.git is not None and self.worktree is not None:
            state.git_commit_sha = self.env.git.commit(
                self.worktree, f"bosun({self.env.run_id}): {node.id} ({outcome.status})"
            )
        self.recorder.node_completed(node.id, outcome.status, state.restart_count)

    def _route(self, node: Node, outcome: Outcome) -> str | None:
        graph = self.env.graph
        if outcome.jump_to:
            self._emit("edge_selected", node_id=node.id, to=outcome.jump_to, method="parallel_join")
            return outcome.jump_to
        decision = select_edge(graph.outgoing(node.id), outcome, self.ctx.snapshot())
        if (
            outcome.is_failure
            and node.kind.failure_needs_condition
            and decision.method is not SelectionMethod.CONDITION_MATCH
        ):
            # a failed gate does not walk on as if nothing happened (spec §3.7)
            decision = EdgeDecision(None, SelectionMethod.NONE, decision.evaluated)
        self._emit("edge_selected", node_id=node.id, **decision.to_json())
        if decision.edge is not None:
            if decision.edge.loop_restart:
                return self._loop_restart(node, outcome, decision.edge)
            self._cycle_breaker(node, outcome, decision.edge.target)
            return decision.edge.target
        if not outcome.is_failure:
            return None
        target = retry_target(graph, node)
        if (
            node.kind.deterministic_failure_ends_run
            and outcome.failure_class == FailureClass.DETERMINISTIC
        ):
            target = None
        if target is None:
            raise _Stop(
                FinalStatus.FAIL, f"stage {node.id} failed: {outcome.failure_reason}", node.id
            )
        self._emit("no_matching_fail_edge_fallback", node_id=node.id, retry_target=target)
        self._cycle_breaker(node, outcome, target)
        return target

    def _cycle_breaker(self, node: Node, outcome: Outcome, target: str) -> None:
        """Abort when the same deterministic failure loops back to a visited node 3 times."""
        if target not in self.state.completed_nodes:
            return
        if not outcome.is_failure or outcome.failure_class not in (
            FailureClass.DETERMINISTIC,
            FailureClass.STRUCTURAL,
        ):
            return
        sig = restart_signature(node.id, outcome.failure_class, outcome.failure_reason)
        count = self.state.failure_signatures.get(sig, 0) + 1
        self.state.failure_signatures[sig] = count
        if count >= DETERMINISTIC_CYCLE_LIMIT:
            self._emit("deterministic_failure_cycle_breaker", node_id=node.id, signature=sig)
            raise _Stop(
                FinalStatus.FAIL,
                f"deterministic_failure_cycle_breaker: {node.id} "
                f"failed the same way {count} times: {outcome.failure_reason}",
                node.id,
            )

    def _loop_restart(self, node: Node, outcome: Outcome, edge: Edge) -> str:
        env, state = self.env, self.state
        decision = decide_loop_restart(
            node.id,
            outcome,
            state.restart_signatures,
            _graph_int(env, "loop_restart_signature_limit", "loop_restart_signature_limit", 3),
            state.restart_count,
            _graph_int(env, "max_restarts", "max_restarts", 50),
        )
        if decision.signature:
            state.restart_signatures[decision.signature] = decision.count
            self._emit(
                "loop_restart_signature",
                node_id=node.id,
                signature=decision.signature,
                count=decision.count,
            )
        if decision.action is not RestartAction.RESTART:
            self._emit(decision.action.value, node_id=node.id, reason=decision.reason)
            raise _Stop(FinalStatus.FAIL, f"{decision.action.value}: {decision.reason}", node.id)
        state.restart_count += 1
        self._emit("loop_restart", node_id=node.id, to=edge.target, restart=state.restart_count)
        self.rundir = self.rundir.for_restart(state.restart_count)
        self.recorder.rundir = self.rundir
        keep = {k.strip() for k in env.graph.get("loop_restart_persist_keys").split(",")}
        old = self.ctx.snapshot()
        fresh = {
            k: v for k, v in old.items() if k.startswith("graph.") or k in keep or k == "base_sha"
        }
        fresh["loop_restart.iteration_count"] = state.restart_count
        fresh["loop_restart.from_node"] = node.id
        self.ctx = RunContext(fresh)
        state.completed_nodes, state.node_retries, state.visits = [], {}, {}
        state.last_outcomes, state.failed_nodes, state.gate_retries = {}, [], 0
        state.logs_root = str(self.rundir.root)
        self.recorder.event("run_restarted", restart=state.restart_count, from_node=node.id)
        return edge.target

    def _at_exit(self, node: Node, visit: int) -> None:
        if self._gates_or_retry(node.id):
            return
        outcome, attempts = self.executor.execute(
            node, self.ctx, self.rundir, self.workdir, self.cancel, visit
        )
        self._record(node, outcome, attempts)
        self.state.next_node = None
        self._checkpoint()
        self._end_of_graph(node.id)

    def _gates_or_retry(self, node_id: str) -> bool:
        """Send the run back to a retry target while goal gates are unsatisfied (bounded)."""
        state, graph = self.state, self.env.graph
        gates = unsatisfied_gates(graph, state.outcomes())
        if not gates:
            return False
        limit = _graph_int(self.env, "max_goal_gate_retries", "max_goal_gate_retries", 3)
        target = retry_target(graph, graph.nodes[gates[0]])
        if target is None or state.gate_retries >= limit:
            why = "no retry target" if target is None else f"{limit} gate retries used"
            raise _Stop(
                FinalStatus.FAIL, f"goal gate unsatisfied: {', '.join(gates)} ({why})", node_id
            )
        state.gate_retries += 1
        self._emit(
            "goal_gate_retry", gates=gates, retry_target=target, gate_retries=state.gate_retries
        )
        state.visits[node_id] = state.visits.get(node_id, 1) - 1
        state.next_node = target
        self._checkpoint()
        return True

    def _end_of_graph(self, node_id: str) -> None:
        """The spec's rule (§3.2): reaching the end is success once the goal gates are
        satisfied. A graph may ask for more with `failed_stages_at_exit`
        (`completed_with_failures` or `fail`) when a stage failed on the way."""
        failed = list(self.state.failed_nodes)
        policy = exit_policy(self.env.graph)
        reasons = "; ".join(
            f"{n}: {self.state.last_outcomes[n].get('failure_reason', '')}" for n in failed
        )
        if failed and policy is not ExitPolicy.SUCCEED:
            status = (
                FinalStatus.COMPLETED_WITH_FAILURES
                if policy is ExitPolicy.COMPLETED_WITH_FAILURES
                else FinalStatus.FAIL
            )
            raise _Stop(status, f"reached the end after failed stages: {reasons}", node_id)
        if failed:
            self._emit("completed_after_failed_stages", node_id=node_id, failed=failed)
        raise _Stop(FinalStatus.SUCCESS, "", node_id)

    # -- files and git -----------------------------------------------------------------
    def _checkpoint(self) -> None:
        self.state.context = self.ctx.snapshot()
        self.state.timestamp = iso(self.env.clock.now())
        self.rundir.write_checkpoint(self.state.to_json())

    def _merge(self, branch: str) -> str:
        assert self.env.git is not None and self.worktree is not None
        return self.env.git.merge(self.worktree, branch)

    def _finish(self, status: FinalStatus, reason: str, node: str) -> FinalRecord:
        if self.final is not None:
            return self.final
        with contextlib.suppress(OSError):  # no tool outlives its run
            kill_recorded_groups(self.rundir.base)
        kept = ""
        if self.env.git is not None and self.worktree is not None:
            try:
                self.state.git_commit_sha = self.env.git.head(self.worktree)
                if not self.keep_worktree and not self.env.git.remove_worktree(self.worktree):
                    kept = "worktree has uncommitted changes; kept"
            except Exception as exc:  # noqa: BLE001 - cleanup must not lose final.json
                kept = f"worktree cleanup failed: {exc}"
        if kept:
            with contextlib.suppress(OSError):
                self.recorder.event("worktree_kept", path=str(self.worktree), reason=kept)
        record = FinalRecord(
            status=status,
            run_id=self.env.run_id,
            started_at=self.state.started_at,
            finished_at=iso(self.env.clock.now()),
            failure_reason=reason,
            final_node=node,
            restart_count=self.state.restart_count,
            logs_root=str(self.rundir.base),
            final_commit=self.state.git_commit_sha,
        )
        self.rundir.write_final(record)
        self.final = record
        self.recorder.finished(record)
        return record
