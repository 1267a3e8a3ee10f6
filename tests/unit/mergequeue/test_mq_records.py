"""Merge request statuses and their transitions."""

from __future__ import annotations

import pytest

from bosun.base.errors import IllegalTransition
from bosun.core.records import PHASE_TRANSITIONS, WORK_TRANSITIONS, Phase, WorkStatus
from bosun.mergequeue.outcomes import shortest_path
from bosun.mergequeue.records import (
    FINISHED,
    TRANSITIONS,
    RequestStatus,
    check_request_transition,
)

R = RequestStatus


def test_merged_is_final_and_everything_else_can_be_queued_again() -> None:
    assert TRANSITIONS[R.MERGED] == frozenset()
    for status in (R.CONFLICT, R.FAILED, R.CANCELLED, R.TESTING):
        check_request_transition("mr-1", status, R.QUEUED)


@pytest.mark.parametrize(
    ("old", "new"),
    [(R.QUEUED, R.MERGED), (R.MERGED, R.QUEUED), (R.CONFLICT, R.MERGED), (R.TESTING, R.CANCELLED)],
)
def test_illegal_transitions_raise_with_the_allowed_ones(old, new) -> None:
    with pytest.raises(IllegalTransition, match=f"cannot go from {old} to {new}"):
        check_request_transition("mr-1", old, new)


def test_shortest_legal_walks_for_owner_updates() -> None:
    assert shortest_path(PHASE_TRANSITIONS, Phase.EXECUTING, Phase.MERGED) == [
        Phase.MERGE_READY,
        Phase.MERGED,
    ]
    assert shortest_path(WORK_TRANSITIONS, WorkStatus.IN_PROGRESS, WorkStatus.MERGE_CONFLICT) == [
        WorkStatus.MERGE_READY,
        WorkStatus.MERGE_CONFLICT,
    ]
    assert shortest_path(WORK_TRANSITIONS, WorkStatus.CLOSED, WorkStatus.MERGED) is None
    assert shortest_path(WORK_TRANSITIONS, WorkStatus.MERGED, WorkStatus.MERGED) == []


def test_awaiting_approval_leads_only_to_queued_rejected_or_cancelled() -> None:
    assert TRANSITIONS[R.AWAITING_APPROVAL] == frozenset({R.QUEUED, R.REJECTED, R.CANCELLED})
    for new in (R.TESTING, R.MERGED, R.FAILED, R.CONFLICT):
        with pytest.raises(IllegalTransition, match="awaiting_approval"):
            check_request_transition("mr-1", R.AWAITING_APPROVAL, new)


def test_a_request_is_sent_back_for_approval_only_from_a_finished_unlanded_state() -> None:
    for old in (R.CONFLICT, R.FAILED, R.CANCELLED, R.REJECTED):
        check_request_transition("mr-1", old, R.AWAITING_APPROVAL)
    for old in (R.QUEUED, R.TESTING, R.MERGED):
        with pytest.raises(IllegalTransition):
            check_request_transition("mr-1", old, R.AWAITING_APPROVAL)


def test_rejected_is_finished_and_can_be_queued_again() -> None:
    assert R.REJECTED in FINISHED and R.AWAITING_APPROVAL not in FINISHED
    check_request_transition("mr-1", R.REJECTED, R.QUEUED)
