"""Edge selection, a pure function of (edges, outcome, context) → a logged decision.

Order: (1) edges whose condition matches, best by weight desc, target id asc, declaration
order; (2) the preferred label, normalised, over unconditional edges in declaration order;
(3) suggested next ids in list order, over unconditional edges (spec §3.3: a guarded edge
whose condition is false is never taken); (4) the highest-weight unconditional edge (target id,
then declaration order, breaking ties); (5) lexical order of target ids among unconditional
edges. When every edge is conditional and none matched, nothing is selected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bosun.pipeline.conditions import ConditionError, evaluate, parse_condition
from bosun.pipeline.outcomes import Outcome

if TYPE_CHECKING:  # the graph imports the handlers, and the human gate imports this module
    from bosun.pipeline.graph import Edge


class SelectionMethod(StrEnum):
    CONDITION_MATCH = "condition_match"
    PREFERRED_LABEL = "preferred_label"
    SUGGESTED_NEXT_IDS = "suggested_next_ids"
    WEIGHT = "weight"
    LEXICAL_TIEBREAK = "lexical_tiebreak"
    ONLY_EDGE = "only_edge"
    NONE = "none"


@dataclass(frozen=True)
class ConditionResult:
    edge: str
    condition: str
    matched: bool
    error: str = ""


@dataclass(frozen=True)
class EdgeDecision:
    edge: Edge | None
    method: SelectionMethod
    evaluated: tuple[ConditionResult, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "edge": self.edge.ref if self.edge else None,
            "to": self.edge.target if self.edge else None,
            "method": self.method.value,
            "conditions": [
                {
                    "edge": r.edge,
                    "condition": r.condition,
                    "matched": r.matched,
                    **({"error": r.error} if r.error else {}),
                }
                for r in self.evaluated
            ],
        }


_LABEL_PREFIX = re.compile(r"^(\[[^\]]\]\s*|[A-Za-z0-9]\)\s*|[A-Za-z0-9]\s+-\s+)")


def normalise_label(label: str) -> str:
    """Lowercase, trimmed, `[K] `, `K) ` and `K - ` accelerator prefixes stripped."""
    text = label.strip().lower()
    return _LABEL_PREFIX.sub("", text, count=1).strip()


def _best(edges: Sequence[Edge]) -> Edge:
    return min(edges, key=lambda e: (-e.weight, e.target, e.order))


def select_edge(
    edges: Sequence[Edge], outcome: Outcome, context: Mapping[str, Any]
) -> EdgeDecision:
    if not edges:
        return EdgeDecision(None, SelectionMethod.NONE)
    results: list[ConditionResult] = []
    matched: list[Edge] = []
    unconditional: list[Edge] = []
    for edge in edges:
        if not edge.condition:
            unconditional.append(edge)
            continue
        try:
            ok = evaluate(
                parse_condition(edge.condition), outcome.status, outcome.preferred_label, context
            )
            results.append(ConditionResult(edge.ref, edge.condition, ok))
        except ConditionError as exc:
            ok = False
            results.append(ConditionResult(edge.ref, edge.condition, False, exc.message))
        if ok:
            matched.append(edge)
    evaluated = tuple(results)
    if matched:
        return EdgeDecision(_best(matched), SelectionMethod.CONDITION_MATCH, evaluated)
    if outcome.preferred_label:
        wanted = normalise_label(outcome.preferred_label)
        for edge in unconditional:
            if edge.label and normalise_label(edge.label) == wanted:
                return EdgeDecision(edge, SelectionMethod.PREFERRED_LABEL, evaluated)
    for next_id in outcome.suggested_next_ids:
        for edge in unconditional:
            if edge.target == next_id:
                return EdgeDecision(edge, SelectionMethod.SUGGESTED_NEXT_IDS, evaluated)
    if not unconditional:
        return EdgeDecision(None, SelectionMethod.NONE, evaluated)
    if len(unconditional) == 1:
        return EdgeDecision(unconditional[0], SelectionMethod.ONLY_EDGE, evaluated)
    top = max(e.weight for e in unconditional)
    heaviest = [e for e in unconditional if e.weight == top]
    if len(heaviest) < len(unconditional) and len(heaviest) == 1:
        return EdgeDecision(heaviest[0], SelectionMethod.WEIGHT, evaluated)
    return EdgeDecision(_best(heaviest), SelectionMethod.LEXICAL_TIEBREAK, evaluated)
