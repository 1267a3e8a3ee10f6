"""The ladder gated by restart limits: backoff on restarts, quarantine past the limit."""

from __future__ import annotations

from bosun.supervisor.policies.detect import Condition
from bosun.supervisor.policies.ladder import Attempt, LadderConfig, Outcome, Step, Strategy
from bosun.supervisor.policies.plan import plan_recovery
from bosun.supervisor.policies.restart import RestartPolicy, RestartRecord

T0 = 1_800_000_000.0
LADDER = LadderConfig()
RESTART = RestartPolicy(max_restarts=3, base_delay=2, steps=2, max_delay=8, stable_after=600)


def test_a_nudge_is_not_gated_by_restart_limits() -> None:
    restarts = [RestartRecord(T0 + i, T0 + i) for i in range(5)]
    plan = plan_recovery([], restarts, Condition.STALLED, T0 + 10, LADDER, RESTART)
    assert plan.strategy == Strategy.NUDGE and not plan.quarantine
    assert plan.not_before == T0 + 10


def test_a_first_crash_is_restarted_immediately_a_second_after_backoff() -> None:
    first = plan_recovery([], [], Condition.CRASHED, T0, LADDER, RESTART)
    assert first.strategy == Strategy.SEANCE_RESTART and first.not_before == T0
    attempts = [
        Attempt("a/b", Condition.CRASHED, Strategy.SEANCE_RESTART, T0, Outcome.FAILURE, T0 + 5)
    ]
    second = plan_recovery(
        attempts, [RestartRecord(T0, T0)], Condition.CRASHED, T0 + 5, LADDER, RESTART
    )
    assert second.strategy == Strategy.SEANCE_RESTART and second.not_before == T0 + 5 + 2


def test_past_the_restart_limit_the_plan_is_quarantine_and_escalation() -> None:
    restarts = [RestartRecord(T0 + 10 * i, T0 + 10 * i + 1) for i in range(3)]
    plan = plan_recovery([], restarts, Condition.CRASHED, T0 + 40, LADDER, RESTART)
    assert plan.quarantine and plan.strategy == Strategy.ESCALATE
    assert plan.step == Step.ACT and "limit 3" in plan.reason


def test_waiting_on_verification_passes_through() -> None:
    pending = [Attempt("a/b", Condition.CRASHED, Strategy.SEANCE_RESTART, T0)]
    plan = plan_recovery(pending, [], Condition.CRASHED, T0 + 1, LADDER, RESTART)
    assert plan.step == Step.WAIT and plan.not_before == T0 + 120


def test_the_backoff_counts_from_the_recorded_detection_not_from_the_asking() -> None:
    """Asked again later, the plan keeps the same restart time: it is derived from history."""
    success = Attempt(
        "a/b", Condition.CRASHED, Strategy.SEANCE_RESTART, T0, Outcome.SUCCESS, T0 + 3
    )
    restarts = [RestartRecord(T0, T0)]
    for now in (T0 + 50, T0 + 51, T0 + 51.9):
        plan = plan_recovery(
            [success], restarts, Condition.CRASHED, now, LADDER, RESTART, detected_at=T0 + 50
        )
        assert plan.strategy == Strategy.SEANCE_RESTART and plan.backing_off
        assert plan.due_at == T0 + 50 and plan.not_before == T0 + 52


def test_after_an_escalation_hold_the_backoff_counts_from_the_hold_s_end() -> None:
    escalated = Attempt("a/b", Condition.CRASHED, Strategy.ESCALATE, T0, Outcome.ESCALATED, T0 + 1)
    held_until = T0 + 1 + LADDER.escalation_hold
    plan = plan_recovery(
        [escalated],
        [RestartRecord(held_until - 10, held_until - 10)],
        Condition.CRASHED,
        held_until + 1,
        LADDER,
        RESTART,
        detected_at=T0,
    )
    assert plan.due_at == held_until and plan.not_before == held_until + 2
