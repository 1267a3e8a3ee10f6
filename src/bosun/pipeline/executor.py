"""Running one node: attempts, retries with deterministic backoff, stage files; and running
a parallel branch (its own git branch and worktree) up to the join node."""

from __future__ import annotations

import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.clock import Clock, iso
from bosun.pipeline.edges import SelectionMethod, select_edge
from bosun.pipeline.gitrun import GitRun, parallel_branch
from bosun.pipeline.graph import Graph, Node
from bosun.pipeline.handlers.base import (
    BranchResult,
    CancelToken,
    Emit,
    HandlerContext,
    Progress,
    RunContext,
    no_progress,
)
from bosun.pipeline.handlers.registry import HandlerRegistry
from bosun.pipeline.nodetypes import NodeType
from bosun.pipeline.outcomes import FailureClass, Outcome, failure
from bosun.pipeline.retry import (
    Backoff,
    backoff_delay,
    decide_retry,
    exhausted_outcome,
    max_retries,
)
from bosun.pipeline.rundir import write_json

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.pipeline.rundir import RunDir


@dataclass
class RunEnv:
    """What stays the same for the whole run."""

    run_id: str
    graph: Graph
    registry: HandlerRegistry
    clock: Clock
    sleep: Callable[[float], None]
    settings: dict[str, Any] = field(default_factory=dict)
    project: Context | None = None
    git: GitRun | None = None
    branch_prefix: str = "bosun/run"


def apply_outcome(ctx: RunContext, node: Node, outcome: Outcome) -> None:
    """The context keys every stage sets."""
    ctx.update(outcome.context_updates)
    ctx.update(
        {
            "outcome": outcome.status,
            "preferred_label": outcome.preferred_label,
            "failure_reason": outcome.failure_reason,
            "failure_class": outcome.failure_class,
            "previous_node": node.id,
            "previous_outcome": outcome.status,
            "last_stage": node.id,
        }
    )


class NodeExecutor:
    def __init__(self, env: RunEnv, emit: Emit, progress: Progress = no_progress) -> None:
        self.env = env
        self.emit = emit
        self.progress = progress

    def execute(
        self,
        node: Node,
        ctx: RunContext,
        rundir: RunDir,
        workdir: Path,
        cancel: CancelToken,
        visit: int,
        run_branch: Callable[[str, str, RunContext, CancelToken], BranchResult] | None = None,
        merge_branch: Callable[[str], str] | None = None,
    ) -> tuple[Outcome, int]:
        env = self.env
        stage_dir = rundir.node_dir(node.id, visit)
        budget = max_retries(node, env.graph, int(env.settings.get("default_max_retries", 0)))
        backoff = Backoff.for_node(node, env.graph)
        handler = env.registry.for_node(node)
        ctx.set("current_node", node.id)
        attempt = 1
        started = iso(env.clock.now())
        while True:
            self.emit("stage_attempt_start", node_id=node.id, attempt=attempt, visit=visit)
            hc = HandlerContext(
                run_id=env.run_id,
                graph=env.graph,
                node=node,
                rundir=rundir,
                stage_dir=stage_dir,
                workdir=workdir,
                context=ctx,
                clock=env.clock,
                sleep=env.sleep,
                cancel=cancel,
                attempt=attempt,
                project=env.project,
                settings=env.settings,
                run_branch=run_branch,
                merge_branch=merge_branch,
                emit=self.emit,
                progress=self.progress,
            )
            try:
                outcome = handler.run(hc)
            except Exception as exc:  # noqa: BLE001 - a crashing handler is a failed stage
                (stage_dir / "panic.txt").write_text(traceback.format_exc())
                outcome = failure(
                    f"handler {node.type} raised {type(exc).__name__}: {exc}",
                    FailureClass.DETERMINISTIC,
                )
            self.emit(
                "stage_attempt_end",
                node_id=node.id,
                attempt=attempt,
                status=outcome.status,
                failure_reason=outcome.failure_reason,
                failure_class=outcome.failure_class,
            )
            decision = decide_retry(node, outcome, attempt, budget)
            if outcome.is_failure:
                self.emit(
                    "retry_decision",
                    node_id=node.id,
                    attempt=attempt,
                    retry=decision.retry,
                    reason=decision.reason,
                )
            if not decision.retry or cancel.cancelled:
                break
            _archive_attempt(stage_dir, attempt)
            delay = backoff_delay(env.run_id, node.id, attempt, backoff)
            self.emit(
                "stage_retry_sleep",
                node_id=node.id,
                attempt=attempt,
                delay_ms=round(delay * 1000, 3),
            )
            env.sleep(delay)
            attempt += 1
        ctx.set(f"internal.retry_count.{node.id}", attempt - 1)
        outcome = exhausted_outcome(node, outcome)
        write_json(
            stage_dir / "status.json",
            {
                **outcome.to_json(),
                "node": node.id,
                "attempts": attempt,
                "visit": visit,
                "started_at": started,
                "finished_at": iso(env.clock.now()),
            },
        )
        return outcome, attempt

    def run_branch(
        self,
        fan_node: str,
        start: str,
        join: str,
        ctx: RunContext,
        cancel: CancelToken,
        rundir: RunDir,
        workdir: Path,
    ) -> BranchResult:
        """Run nodes from `start` until the join node, an exit, or no edge."""
        env = self.env
        git_branch, branch_dir, head = "", workdir, ""
        if env.git is not None:
            git_branch = parallel_branch(env.branch_prefix, env.run_id, fan_node, start)
            branch_dir = rundir.base / "parallel" / fan_node / start
            if branch_dir.exists():
                env.git.remove_worktree(branch_dir)
            env.git.add_worktree(git_branch, branch_dir, env.git.head(workdir))
        node_id: str | None = start
        last, outcome = start, Outcome("skipped")
        visits: dict[str, int] = {}
        try:
            while node_id and node_id != join and not cancel.cancelled:
                node = env.graph.nodes[node_id]
                if node.type == NodeType.EXIT:
                    break
                visits[node_id] = visits.get(node_id, 0) + 1
                outcome, _ = self.execute(node, ctx, rundir, branch_dir, cancel, visits[node_id])
                apply_outcome(ctx, node, outcome)
                last = node_id
                if env.git is not None:
                    head = env.git.commit(
                        branch_dir, f"bosun({env.run_id}): {node_id} ({outcome.status})"
                    )
                decision = select_edge(env.graph.outgoing(node_id), outcome, ctx.snapshot())
                self.emit("edge_selected", node_id=node_id, branch=start, **decision.to_json())
                needs_condition = outcome.is_failure and node.kind.failure_needs_condition
                if needs_condition and decision.method is not SelectionMethod.CONDITION_MATCH:
                    node_id = None  # a failed gate does not walk on (as in the engine)
                else:
                    node_id = decision.edge.target if decision.edge else None
            if cancel.cancelled and not outcome.is_failure and node_id not in (join, None):
                outcome = failure(f"canceled: {cancel.reason}", FailureClass.CANCELED)
        finally:
            if env.git is not None and branch_dir.exists():
                env.git.remove_worktree(branch_dir)
        return BranchResult(
            start,
            outcome.status,
            last,
            outcome.failure_reason,
            head,
            git_branch,
            {"failure_class": outcome.failure_class},
        )


def _archive_attempt(stage_dir: Path, attempt: int) -> None:
    target = stage_dir / f"attempt_{attempt}"
    target.mkdir(exist_ok=True)
    for name in ("stdout.log", "stderr.log", "stage_status.json", "tool_invocation.json"):
        path = stage_dir / name
        if path.exists():
            shutil.move(str(path), target / name)
