"""Conditions and the edge selection order; every decision names its method."""

from __future__ import annotations

import pytest

from bosun.pipeline.conditions import ConditionError, evaluate, parse_condition
from bosun.pipeline.dot import parse_dot
from bosun.pipeline.edges import SelectionMethod, normalise_label, select_edge
from bosun.pipeline.outcomes import Outcome


def edges(body: str):  # type: ignore[no-untyped-def]
    return list(parse_dot("digraph { " + body + " }").edges)


@pytest.mark.parametrize(
    ("cond", "outcome", "ctx", "expected"),
    [
        ("outcome=success", "success", {}, True),
        ("outcome=ok", "success", {}, True),
        ("outcome=failure", "fail", {}, True),
        ("outcome=error", "fail", {}, True),
        ("outcome=skip", "skipped", {}, True),
        ("outcome=partial-success", "partial_success", {}, True),
        ("outcome!=success", "fail", {}, True),
        ("outcome=needs_dod", "NEEDS_DOD", {}, True),
        ("context.tests=true && outcome=success", "success", {"tests": "true"}, True),
        ("context.tests=true && outcome=success", "success", {"tests": "false"}, False),
        ("tests_passed", "success", {"tests_passed": "yes"}, True),
        ("tests_passed", "success", {"tests_passed": "0"}, False),
        ("tests_passed", "success", {}, False),
        ("missing=", "success", {}, True),
        (
            "context.failure_class=transient_infra",
            "fail",
            {"failure_class": "transient_infra"},
            True,
        ),
    ],
)
def test_conditions(cond: str, outcome: str, ctx: dict, expected: bool) -> None:
    assert evaluate(parse_condition(cond), outcome, "", ctx) is expected


@pytest.mark.parametrize("bad", ["a > 1", "a || b", "a == b", "!a", "&& a", "a=b=c", "9x=1"])
def test_bad_conditions_are_refused(bad: str) -> None:
    with pytest.raises(ConditionError):
        parse_condition(bad)


def test_label_normalisation() -> None:
    assert normalise_label("  [Y] Yes ") == "yes"
    assert normalise_label("A) Approve") == "approve"
    assert normalise_label("B - Reject") == "reject"


def test_condition_match_wins_then_weight_then_target_then_order() -> None:
    es = edges(
        'a -> z [condition="outcome=success"]; a -> b [condition="outcome=success"]; '
        'a -> c [condition="outcome=success", weight=1]; a -> d'
    )
    d = select_edge(es, Outcome("success"), {})
    assert (d.edge.target, d.method) == ("c", SelectionMethod.CONDITION_MATCH)
    es2 = edges('a -> z [condition="outcome=success"]; a -> b [condition="outcome=success"]')
    assert select_edge(es2, Outcome("success"), {}).edge.target == "b"
    assert [r.matched for r in d.evaluated] == [True, True, True]


def test_preferred_label_then_suggested_ids_then_weight_then_lexical() -> None:
    es = edges(
        'a -> x [label="[Y] Yes"]; a -> y [label="No", weight=3]; a -> w; '
        'a -> v [condition="outcome=fail"]'
    )
    d = select_edge(es, Outcome("success", preferred_label="yes"), {})
    assert (d.edge.target, d.method) == ("x", SelectionMethod.PREFERRED_LABEL)
    d = select_edge(es, Outcome("success", suggested_next_ids=("w",)), {})
    assert (d.edge.target, d.method) == ("w", SelectionMethod.SUGGESTED_NEXT_IDS)
    d = select_edge(es, Outcome("success"), {})
    assert (d.edge.target, d.method) == ("y", SelectionMethod.WEIGHT)
    d = select_edge(edges("a -> q; a -> p"), Outcome("success"), {})
    assert (d.edge.target, d.method) == ("p", SelectionMethod.LEXICAL_TIEBREAK)
    d = select_edge(edges("a -> q"), Outcome("success"), {})
    assert d.method is SelectionMethod.ONLY_EDGE


def test_all_conditional_and_none_matching_selects_nothing() -> None:
    es = edges('a -> b [condition="outcome=success"]')
    d = select_edge(es, Outcome("fail"), {})
    assert d.edge is None and d.method is SelectionMethod.NONE
    assert d.to_json()["conditions"] == [
        {"edge": "a->b", "condition": "outcome=success", "matched": False}
    ]


def test_custom_outcome_routes_by_condition() -> None:
    es = edges('a -> fix [condition="outcome=impl_repair"]; a -> b')
    assert select_edge(es, Outcome("impl_repair"), {}).edge.target == "fix"
