"""The resume queue's pure policy: enqueue, resurrection limit, drain, breaker, validation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bosun.base.errors import IllegalTransition
from bosun.supervisor.policies.resume import (
    Breaker,
    DrainFacts,
    EndCause,
    EntryStatus,
    ResumeConfig,
    ResumeEntry,
    SessionEnding,
    after_attempt,
    breaker_state,
    consider_enqueue,
    invalid_reason,
    plan_drain,
)

T0 = 1_800_000_000.0
CFG = ResumeConfig()
DAY = 86400.0


def ending(cause: EndCause = EndCause.REAPED, unfinished: bool = True) -> SessionEnding:
    return SessionEnding(
        "polecat/toast", cause, unfinished, "bo-1", "/wt/toast", {"dirty_worktree": True}
    )


def entry(id: str = "rq-1", created: float = T0, **kw: object) -> ResumeEntry:
    base: dict[str, object] = dict(
        id=id,
        identity="polecat/toast",
        status=EntryStatus.QUEUED,
        cause=EndCause.REAPED,
        created_at=created,
        expires_at=created + DAY,
        worktree="/wt/toast",
        next_attempt_at=created,
    )
    base.update(kw)
    return ResumeEntry(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("cause", [EndCause.REAPED, EndCause.LIMIT, EndCause.EXTERNAL])
def test_sessions_ended_mid_work_by_bosun_or_outside_are_queued(cause: EndCause) -> None:
    assert consider_enqueue(ending(cause), None, [], T0, CFG).enqueue


@pytest.mark.parametrize("cause", [EndCause.OPERATOR, EndCause.QUARANTINE])
def test_operator_stops_and_quarantines_are_not_revived(cause: EndCause) -> None:
    decision = consider_enqueue(ending(cause), None, [], T0, CFG)
    assert not decision.enqueue and str(cause) in decision.reason


def test_no_unfinished_work_no_entry_and_one_open_entry_per_identity() -> None:
    assert not consider_enqueue(ending(unfinished=False), None, [], T0, CFG).enqueue
    dup = consider_enqueue(ending(), entry(), [], T0, CFG)
    assert not dup.enqueue and "rq-1" in dup.reason


def test_at_most_two_resurrections_per_identity_per_day() -> None:
    assert consider_enqueue(ending(), None, [T0 - 100], T0, CFG).enqueue
    limited = consider_enqueue(ending(), None, [T0 - 100, T0 - 50], T0, CFG)
    assert not limited.enqueue and "limit 2" in limited.reason
    assert consider_enqueue(ending(), None, [T0 - DAY - 1, T0 - 50], T0, CFG).enqueue


def test_a_disabled_queue_takes_nothing_and_drains_nothing() -> None:
    off = ResumeConfig(enabled=False)
    assert not consider_enqueue(ending(), None, [], T0, off).enqueue
    assert plan_drain([entry()], Breaker(False, 0), T0, off).candidates == ()


def test_drain_expires_entries_past_their_ttl_and_orders_the_rest_oldest_first() -> None:
    old = entry("rq-old", created=T0 - DAY - 5)
    a, b = entry("rq-a", created=T0 - 20), entry("rq-b", created=T0 - 30)
    later = entry("rq-later", created=T0 - 10, next_attempt_at=T0 + 60)
    plan = plan_drain([old, a, b, later], Breaker(False, 0), T0, CFG)
    assert [e.id for e in plan.expired] == ["rq-old"]
    assert [e.id for e in plan.candidates] == ["rq-b", "rq-a"]


def test_an_open_breaker_stops_the_drain_but_not_expiry() -> None:
    old = entry("rq-old", created=T0 - DAY - 5)
    plan = plan_drain([old, entry()], Breaker(True, 3, T0 + 10), T0, CFG)
    assert plan.candidates == () and [e.id for e in plan.expired] == ["rq-old"]
    assert "breaker" in plan.reason


def test_the_breaker_opens_after_three_consecutive_failures_and_half_opens() -> None:
    fails = [(T0 - 30, False), (T0 - 20, False), (T0 - 10, False)]
    assert breaker_state(fails[:2], T0, CFG).open is False
    state = breaker_state(fails, T0, CFG)
    assert state.open and state.failures == 3 and state.until == T0 - 10 + 1800
    assert not breaker_state(fails, T0 - 10 + 1800, CFG).open  # cooldown over: one may go
    assert not breaker_state([*fails[:2], (T0 - 5, True)], T0, CFG).open
    assert breaker_state([(T0 - 40, True), *fails], T0, CFG).open


def facts(**kw: object) -> DrainFacts:
    base: dict[str, object] = dict(
        live_session=False,
        worktree_exists=True,
        identity_status="crashed",
        operator_stopped=False,
        hook_unfinished=True,
    )
    base.update(kw)
    return DrainFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"live_session": True}, "a live session already exists"),
        ({"worktree_exists": False}, "the worktree /wt/toast is gone"),
        ({"identity_status": "terminated"}, "the identity was terminated"),
        ({"identity_status": None}, "the identity no longer exists"),
        ({"operator_stopped": True}, "an operator stopped it"),
        ({"hook_unfinished": False}, "the hook no longer holds unfinished work"),
    ],
)
def test_drain_time_validation_says_why(changes: dict[str, object], reason: str) -> None:
    assert invalid_reason(entry(), facts(**changes)) == reason
    assert invalid_reason(entry(), facts()) is None


def test_a_failed_attempt_retries_with_doubling_backoff_then_gives_up() -> None:
    e = entry(status=EntryStatus.STARTING, attempts=1)
    retry = after_attempt(e, False, T0, CFG, "spawn failed")
    assert retry.status == EntryStatus.QUEUED and retry.next_attempt_at == T0 + 60
    second = after_attempt(
        replace(retry, status=EntryStatus.STARTING, attempts=2), False, T0 + 100, CFG
    )
    assert second.next_attempt_at == T0 + 100 + 120
    third = after_attempt(
        replace(second, status=EntryStatus.STARTING, attempts=3), False, T0 + 300, CFG, "again"
    )
    assert third.status == EntryStatus.GAVE_UP and third.reason == "3 attempts failed"
    ok = after_attempt(e, True, T0, CFG)
    assert ok.status == EntryStatus.REVIVED and ok.revived_at == T0


def test_illegal_entry_transitions_are_refused() -> None:
    revived = entry(status=EntryStatus.REVIVED)
    with pytest.raises(IllegalTransition):
        revived.move(EntryStatus.QUEUED, T0)
    with pytest.raises(IllegalTransition):
        entry().move(EntryStatus.REVIVED, T0)
