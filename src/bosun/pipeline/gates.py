"""Goal gates (pure): which gates are unsatisfied and where a gate failure routes to."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from bosun.pipeline.graph import Graph, Node
from bosun.pipeline.outcomes import Outcome


def unsatisfied_gates(graph: Graph, last_outcomes: Mapping[str, Outcome]) -> list[str]:
    """Visited `goal_gate=true` nodes whose latest outcome is not success/partial_success."""
    return [
        node.id
        for node in graph.nodes.values()
        if node.flag("goal_gate")
        and node.id in last_outcomes
        and not last_outcomes[node.id].satisfies_gate
    ]


def retry_target_chain(graph: Graph, node: Node | None) -> list[str]:
    """Node retry_target, node fallback_retry_target, graph retry_target, graph fallback."""
    candidates = []
    if node is not None:
        candidates += [node.get("retry_target"), node.get("fallback_retry_target")]
    candidates += [graph.get("retry_target"), graph.get("fallback_retry_target")]
    return [c.strip() for c in candidates if c and c.strip()]


def retry_target(graph: Graph, node: Node | None) -> str | None:
    """The first target in the chain that names an existing node."""
    for target in retry_target_chain(graph, node):
        if target in graph.nodes:
            return target
    return None


class ExitPolicy(StrEnum):
    """How a run that reaches an exit after a failed stage ends (graph attribute
    `failed_stages_at_exit`). The spec's rule (§3.2) is `succeed`: only unsatisfied goal
    gates stop an exit. A graph may ask for more."""

    SUCCEED = "succeed"
    COMPLETED_WITH_FAILURES = "completed_with_failures"
    FAIL = "fail"


def exit_policy(graph: Graph) -> ExitPolicy:
    raw = graph.get("failed_stages_at_exit").strip().lower()
    if raw in ExitPolicy._value2member_map_:
        return ExitPolicy(raw)
    if graph.get("allow_completed_with_failures").strip().lower() in ("true", "1", "yes"):
        return ExitPolicy.COMPLETED_WITH_FAILURES
    return ExitPolicy.SUCCEED
