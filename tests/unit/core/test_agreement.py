"""The agreement between a work item and its hooks, as pure tables (core.agreement)."""

from __future__ import annotations

from bosun.core.agreement import (
    _HOOK_DETOURS,
    _WORK_DETOURS,
    PHASE_FOR_STATUS,
    RANK,
    STATUSES_FOR_PHASE,
    agrees,
    allowed_statuses,
    lead_phase,
)
from bosun.core.records import (
    PHASE_TRANSITIONS,
    WORK_TRANSITIONS,
    Phase,
    WorkStatus,
    transition_path,
)

P, W = Phase, WorkStatus


def test_every_hook_move_on_the_main_line_can_be_followed_by_its_work_item() -> None:
    for old, targets in PHASE_TRANSITIONS.items():
        for new in targets:
            if old not in RANK or new not in RANK:
                continue
            for status in STATUSES_FOR_PHASE[old]:
                if status in STATUSES_FOR_PHASE[new]:
                    continue
                goal = STATUSES_FOR_PHASE[new][0]
                assert transition_path(WORK_TRANSITIONS, status, goal, _WORK_DETOURS), (old, new)


def test_every_work_move_can_be_followed_by_a_hook_that_agreed_before() -> None:
    for phase, statuses in STATUSES_FOR_PHASE.items():
        if phase == P.MERGED:
            continue  # a merged hook holds nothing left to move
        for old in statuses:
            for new in WORK_TRANSITIONS[old]:
                goal = PHASE_FOR_STATUS[new]
                assert transition_path(PHASE_TRANSITIONS, phase, goal, _HOOK_DETOURS) is not None, (
                    phase,
                    old,
                    new,
                )


def test_the_lead_is_the_holder_furthest_along_and_blocked_or_released_hooks_follow() -> None:
    assert lead_phase([P.EXECUTING, P.IMPL_COMPLETE, P.BLOCKED]) == P.IMPL_COMPLETE
    assert lead_phase([P.BLOCKED]) is None
    assert allowed_statuses([P.RELEASED]) is None  # nobody holds it: any status
    assert agrees(W.MERGE_READY, [P.BLOCKED])
    assert not agrees(W.OPEN, [P.BLOCKED])
    assert agrees(W.MERGE_CONFLICT, [P.EXECUTING])
    assert not agrees(W.IMPL_COMPLETE, [P.MERGED, P.EXECUTING])


def test_walks_stay_on_the_main_line() -> None:
    assert transition_path(PHASE_TRANSITIONS, P.MERGE_READY, P.IMPL_COMPLETE, _HOOK_DETOURS) == [
        P.EXECUTING,
        P.IMPL_COMPLETE,
    ]
    assert transition_path(WORK_TRANSITIONS, W.IMPL_COMPLETE, W.MERGED, _WORK_DETOURS) == [
        W.MERGE_READY,
        W.MERGED,
    ]
    assert transition_path(WORK_TRANSITIONS, W.MERGED, W.IN_PROGRESS, _WORK_DETOURS) is None
