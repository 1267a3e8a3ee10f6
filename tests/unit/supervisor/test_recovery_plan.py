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
