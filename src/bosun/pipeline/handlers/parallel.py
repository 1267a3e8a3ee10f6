"""Parallel fan-out (component) and fan-in (tripleoctagon) with join policies.

The fan-out runs each outgoing edge's target as a branch (at most `max_parallel` at once,
each with a clone of the context) until the branch reaches the join node, then decides by
`join_policy`: wait_all, first_success, k_of_n (`k`) or quorum (`quorum_fraction`). Branches
no longer needed are cancelled. The fan-in picks the best branch, merges it (in git mode)
and reports every branch that failed or was cancelled.
"""

from __future__ import annotations

import math
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from bosun.pipeline.handlers.base import BranchResult, HandlerContext
from bosun.pipeline.nodetypes import NodeKind, NodeType, Retry
from bosun.pipeline.outcomes import FailureClass, Outcome, StageStatus, failure

if TYPE_CHECKING:
    from bosun.pipeline.graph import Graph

JOIN_POLICIES = ("wait_all", "first_success", "k_of_n", "quorum")
_RANK = {StageStatus.SUCCESS.value: 0, StageStatus.PARTIAL_SUCCESS.value: 1}


def find_join_node(graph: Graph, fan_node: str) -> str | None:
    """The nearest fan-in node reachable from every branch of `fan_node`."""
    starts = list(dict.fromkeys(e.target for e in graph.outgoing(fan_node)))
    if not starts:
        return None
    reach = [graph.reachable_from(s) for s in starts]
    common = set.intersection(*reach)
    order: list[str] = []
    frontier, seen = [starts[0]], {starts[0]}
    while frontier:
        nxt: list[str] = []
        for nid in frontier:
            order.append(nid)
            for edge in graph.outgoing(nid):
                if edge.target not in seen:
                    seen.add(edge.target)
                    nxt.append(edge.target)
        frontier = nxt
    for nid in order:
        if nid in common and graph.nodes[nid].type == NodeType.FAN_IN:
            return nid
    return None


def required_successes(policy: str, n: int, k: str, fraction: str) -> int:
    if policy == "first_success":
        return 1
    if policy == "k_of_n":
        return max(1, min(n, int(k))) if k.strip().isdigit() else n
    if policy == "quorum":
        try:
            frac = float(fraction) if fraction else 0.5
        except ValueError:
            frac = 0.5
        return max(1, min(n, math.ceil(frac * n)))
    return n  # wait_all


def join_outcome(policy: str, results: list[BranchResult], need: int) -> Outcome:
    ok = [r for r in results if r.status in _RANK]
    bad = [r for r in results if r.status not in _RANK]
    missing = "; ".join(f"{r.branch}: {r.status} ({r.failure_reason or 'no reason'})" for r in bad)
    if policy == "wait_all":
        if not bad:
            return Outcome(StageStatus.SUCCESS.value)
        if ok:
            return Outcome(
                StageStatus.PARTIAL_SUCCESS.value, notes=f"branches not successful: {missing}"
            )
        return failure(f"all branches failed: {missing}", _common_class(bad))
    if len(ok) >= need:
        return Outcome(
            StageStatus.SUCCESS.value, notes=f"branches not successful: {missing}" if bad else ""
        )
    return failure(
        f"{policy}: {len(ok)} of {len(results)} branches succeeded, needed {need}: {missing}",
        _common_class(bad),
    )


def _common_class(bad: list[BranchResult]) -> FailureClass:
    classes = {r.context.get("failure_class", "") for r in bad}
    if classes == {FailureClass.TRANSIENT_INFRA.value}:
        return FailureClass.TRANSIENT_INFRA
    return FailureClass.DETERMINISTIC


class FanOut(NodeKind):
    name = NodeType.PARALLEL
    shapes = ("component",)
    attributes = ("join_policy", "max_parallel", "k", "quorum_fraction", "error_policy")
    retry = Retry.NEVER

    def run(self, hc: HandlerContext) -> Outcome:
        node, graph = hc.node, hc.graph
        starts = list(dict.fromkeys(e.target for e in graph.outgoing(node.id)))
        join = find_join_node(graph, node.id)
        if join is None or hc.run_branch is None:
            return failure(
                f"parallel node {node.id!r} has no fan-in (tripleoctagon) "
                "reachable from all its branches",
                FailureClass.STRUCTURAL,
            )
        policy = node.get("join_policy", "wait_all") or "wait_all"
        width = node.get("max_parallel", "4")
        max_parallel = max(1, int(width)) if width.strip().isdigit() else 4
        need = required_successes(policy, len(starts), node.get("k"), node.get("quorum_fraction"))
        tokens = {s: hc.cancel.child() for s in starts}
        results: dict[str, BranchResult] = {}
        hc.emit("parallel_started", node_id=node.id, branches=starts, join=join, policy=policy)
        with ThreadPoolExecutor(
            max_workers=max_parallel, thread_name_prefix=f"branch-{node.id}"
        ) as pool:
            futures: dict[Future[BranchResult], str] = {
                pool.submit(hc.run_branch, start, join, hc.context.clone(), tokens[start]): start
                for start in starts
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    start = futures[fut]
                    results[start] = fut.result()
                    hc.emit("parallel_branch_done", node_id=node.id, **results[start].to_json())
                ok = sum(1 for r in results.values() if r.status in _RANK)
                if policy != "wait_all" and pending and (ok >= need or ok + len(pending) < need):
                    for fut in pending:
                        tokens[futures[fut]].cancel(f"join policy {policy} decided")
        ordered = [results[s] for s in starts]
        outcome = join_outcome(policy, ordered, need)
        updates = {
            "parallel.results": [r.to_json() for r in ordered],
            "parallel.join_node": join,
            "parallel.outcome": outcome.status,
            "parallel.failure_reason": outcome.failure_reason or outcome.notes,
        }
        return Outcome(
            outcome.status,
            notes=outcome.notes,
            failure_reason=outcome.failure_reason,
            failure_class=outcome.failure_class,
            context_updates=updates,
            jump_to=join,
        )


class FanIn(NodeKind):
    name = NodeType.FAN_IN
    shapes = ("tripleoctagon",)
    aliases = ("fan_in",)
    retry = Retry.NEVER
    deterministic_failure_ends_run = True

    def run(self, hc: HandlerContext) -> Outcome:
        results = hc.context.get("parallel.results") or []
        if not results:
            return failure(
                f"fan-in {hc.node.id!r} reached without parallel results", FailureClass.STRUCTURAL
            )
        ranked = sorted(
            (r for r in results if r["status"] in _RANK),
            key=lambda r: (_RANK[r["status"]], r["branch"]),
        )
        losers = [r["branch"] for r in results if not ranked or r is not ranked[0]]
        missing = [r["branch"] for r in results if r["status"] not in _RANK]
        updates: dict[str, object] = {
            "parallel.fan_in.losers": losers,
            "parallel.fan_in.missing": missing,
        }
        if ranked:
            best = ranked[0]
            updates["parallel.fan_in.best_id"] = best["branch"]
            if hc.merge_branch is not None and best.get("git_branch"):
                updates["parallel.fan_in.best_head_sha"] = hc.merge_branch(best["git_branch"])
        status = str(hc.context.get("parallel.outcome") or "fail")
        reason = str(hc.context.get("parallel.failure_reason") or "")
        if status in (StageStatus.FAIL.value, StageStatus.RETRY.value):
            return failure(reason or "parallel branches failed", context_updates=updates)
        return Outcome(status, notes=reason, context_updates=updates)
