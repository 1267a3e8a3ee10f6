"""Statuses, phases and their transition tables; records to and from rows and JSON."""

from __future__ import annotations

import pytest

from bosun.base.errors import IllegalTransition, InvalidInput
from bosun.core.events import _kind_filter
from bosun.core.hooks import parse_phase
from bosun.core.records import (
    IDENTITY_TRANSITIONS,
    PHASE_TRANSITIONS,
    UNFINISHED_PHASES,
    WORK_TRANSITIONS,
    Hook,
    IdentityStatus,
    Phase,
    PhaseChange,
    WorkStatus,
    check_transition,
)
from bosun.core.signals import check_type
from bosun.core.work import parse_status


@pytest.mark.parametrize(
    "table",
    [IDENTITY_TRANSITIONS, PHASE_TRANSITIONS, WORK_TRANSITIONS],
    ids=["identity", "phase", "work"],
)
def test_every_status_has_a_row_and_no_status_moves_to_itself(table: dict) -> None:  # type: ignore[type-arg]
    enum = type(next(iter(table)))
    assert set(table) == set(enum)
    for old, targets in table.items():
        assert old not in targets
        assert targets <= set(enum)


def test_final_states_have_no_way_out() -> None:
    assert PHASE_TRANSITIONS[Phase.RELEASED] == frozenset()
    assert WORK_TRANSITIONS[WorkStatus.CLOSED] == frozenset()
    assert Phase.RELEASED not in UNFINISHED_PHASES and Phase.MERGED not in UNFINISHED_PHASES


def test_every_phase_is_reachable_from_assigned() -> None:
    seen, todo = {Phase.ASSIGNED}, [Phase.ASSIGNED]
    while todo:
        for nxt in PHASE_TRANSITIONS[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    assert seen == set(Phase)


def test_an_illegal_transition_names_both_ends_and_the_way_out() -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_transition(
            IDENTITY_TRANSITIONS,
            "identity polecat/x",
            IdentityStatus.TERMINATED,
            IdentityStatus.CRASHED,
        )
    assert caught.value.message == "identity polecat/x cannot go from terminated to crashed"
    assert caught.value.hint == "from terminated it can go to: active"
    with pytest.raises(IllegalTransition) as final:
        check_transition(WORK_TRANSITIONS, "work item w", WorkStatus.CLOSED, WorkStatus.OPEN)
    assert final.value.hint == "from closed it can go to: none (it is final)"


def test_parsers_refuse_unknown_values_with_the_known_ones() -> None:
    assert parse_phase("executing") is Phase.EXECUTING
    with pytest.raises(InvalidInput, match="unknown phase") as caught:
        parse_phase("done")
    assert "impl_complete" in caught.value.hint
    assert parse_status("merged") is WorkStatus.MERGED
    with pytest.raises(InvalidInput, match="unknown work status"):
        parse_status("finished")


@pytest.mark.parametrize("kind", ["MERGE_READY", "NUDGE", "ESCALATION", "x-deploy"])
def test_known_and_prefixed_signal_types_pass(kind: str) -> None:
    assert check_type(kind) == kind


@pytest.mark.parametrize("kind", ["merge_ready", "x-", "DEPLOY", "x-" + "a" * 70, ""])
def test_other_signal_types_are_refused(kind: str) -> None:
    with pytest.raises(InvalidInput, match="unknown signal type"):
        check_type(kind)


def test_kind_filters_exact_dot_prefix_and_star() -> None:
    assert _kind_filter(None) == (None, None)
    assert _kind_filter("hook.phase") == ("hook.phase", None)
    assert _kind_filter("hook.") == ("hook.", "hook.%")
    assert _kind_filter("hook*") == ("hook*", "hook%")


def test_a_hook_round_trips_through_its_row() -> None:
    hook = Hook(
        "polecat",
        "toast",
        "bo-1",
        Phase.EXECUTING,
        10.0,
        12.0,
        summary="s",
        checkpoint_note="n",
        checkpoint_at=11.0,
        resumption="r",
        history=(
            PhaseChange(Phase.ASSIGNED, 10.0),
            PhaseChange(Phase.EXECUTING, 12.0, Phase.ASSIGNED),
        ),
    )
    row = {
        "role": "polecat",
        "name": "toast",
        "work_id": "bo-1",
        "phase": "executing",
        "pinned_at": 10.0,
        "updated_at": 12.0,
        "summary": "s",
        "checkpoint_note": "n",
        "checkpoint_at": 11.0,
        "resumption": "r",
        "phase_history": hook.history_json(),
    }
    assert Hook.from_row(row) == hook
    data = hook.to_json()
    assert data["identity"] == "polecat/toast" and data["unfinished"] is True
    assert [h["phase"] for h in data["history"]] == ["assigned", "executing"]
    assert data["pinned_at"] == "1970-01-01T00:00:10.000Z"
