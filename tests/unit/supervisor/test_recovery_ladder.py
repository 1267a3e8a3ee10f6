"""The recovery ladder: rung order, verification, escalation hold, crew exemption."""

from __future__ import annotations

import pytest

from bosun.base.errors import IllegalTransition
from bosun.supervisor.policies.detect import Condition, Observations, ScreenState
from bosun.supervisor.policies.ladder import (
    Attempt,
    LadderConfig,
    Outcome,
    Step,
    Strategy,
    next_strategy,
    verdict_detail,
    verify,
)

T0 = 1_800_000_000.0
CFG = LadderConfig()  # verify_within 120, escalation_hold 1800
ID = "polecat/toast"


def attempt(
    strategy: Strategy,
    at: float,
    outcome: Outcome = Outcome.FAILURE,
    condition: Condition = Condition.STALLED,
    rung: int = 0,
) -> Attempt:
    decided = None if outcome == Outcome.PENDING else at + 120
    return Attempt(ID, condition, strategy, at, outcome, decided, rung)


def walk(condition: Condition, crew: bool = False, limit: int = 10) -> list[Strategy]:
    """Fail every rung in turn and return the strategies chosen, up to the escalation."""
    history: list[Attempt] = []
    now = T0
    chosen: list[Strategy] = []
    for _ in range(limit):
        decision = next_strategy(history, condition, now, CFG, crew=crew)
        assert decision.step == Step.ACT and decision.strategy is not None
        chosen.append(decision.strategy)
        if decision.strategy == Strategy.ESCALATE:
            break
        history.append(attempt(decision.strategy, now, Outcome.FAILURE, condition, decision.rung))
        now += 200
    return chosen


def test_a_stall_walks_nudge_seance_context_cycle_then_escalates() -> None:
    assert walk(Condition.STALLED) == [
        Strategy.NUDGE,
        Strategy.SEANCE_RESTART,
        Strategy.CONTEXT_CYCLE,
        Strategy.ESCALATE,
    ]


def test_a_crash_is_restarted_three_times_before_escalating() -> None:
    assert walk(Condition.CRASHED) == [Strategy.SEANCE_RESTART] * 3 + [Strategy.ESCALATE]


def test_the_catalog_in_config_decides_the_order() -> None:
    cfg = LadderConfig(catalog={Condition.STALE: (Strategy.CONTEXT_CYCLE, Strategy.NUDGE)})
    first = next_strategy([], Condition.STALE, T0, cfg)
    assert first.strategy == Strategy.CONTEXT_CYCLE
    second = next_strategy(
        [attempt(Strategy.CONTEXT_CYCLE, T0, condition=Condition.STALE)],
        Condition.STALE,
        T0 + 200,
        cfg,
    )
    assert second.strategy == Strategy.NUDGE
    history = [
        attempt(Strategy.CONTEXT_CYCLE, T0, condition=Condition.STALE),
        attempt(Strategy.NUDGE, T0 + 200, condition=Condition.STALE),
    ]
    exhausted = next_strategy(history, Condition.STALE, T0 + 400, cfg)
    assert exhausted.strategy == Strategy.ESCALATE
    assert "all 2 strategies" in exhausted.reason


def test_a_pending_attempt_is_waited_on_until_verified() -> None:
    history = [attempt(Strategy.NUDGE, T0, Outcome.PENDING)]
    decision = next_strategy(history, Condition.STALLED, T0 + 30, CFG)
    assert decision.step == Step.WAIT
    assert decision.until == T0 + 120


def test_a_verified_success_ends_the_episode_so_the_next_stall_starts_at_a_nudge() -> None:
    history = [
        attempt(Strategy.NUDGE, T0),
        attempt(Strategy.SEANCE_RESTART, T0 + 200, Outcome.SUCCESS, rung=1),
    ]
    decision = next_strategy(history, Condition.STALLED, T0 + 5000, CFG)
    assert decision.strategy == Strategy.NUDGE and decision.rung == 0


def test_attempts_for_other_conditions_do_not_move_the_rung() -> None:
    history = [attempt(Strategy.NUDGE, T0, condition=Condition.STALE)]
    assert next_strategy(history, Condition.STALLED, T0 + 10, CFG).strategy == Strategy.NUDGE


def test_after_an_escalation_the_ladder_holds_then_starts_over() -> None:
    history = [
        attempt(Strategy.NUDGE, T0),
        attempt(Strategy.SEANCE_RESTART, T0 + 200),
        attempt(Strategy.CONTEXT_CYCLE, T0 + 400),
        Attempt(ID, Condition.STALLED, Strategy.ESCALATE, T0 + 600, Outcome.ESCALATED, T0 + 600, 3),
    ]
    held = next_strategy(history, Condition.STALLED, T0 + 601, CFG)
    assert held.step == Step.HOLD and held.until == T0 + 600 + 1800
    again = next_strategy(history, Condition.STALLED, T0 + 600 + 1800, CFG)
    assert again.step == Step.ACT and again.strategy == Strategy.NUDGE and again.rung == 0
    # a failure after the hold starts a new episode: rung 1, not rung 5
    history.append(attempt(Strategy.NUDGE, T0 + 2500))
    assert (
        next_strategy(history, Condition.STALLED, T0 + 2700, CFG).strategy
        == Strategy.SEANCE_RESTART
    )


def test_crew_is_never_nudged_or_recovered_from_silence_but_is_restarted() -> None:
    assert next_strategy([], Condition.STALLED, T0, CFG, crew=True).step == Step.EXEMPT
    assert next_strategy([], Condition.STALE, T0, CFG, crew=True).step == Step.EXEMPT
    crashed = next_strategy([], Condition.CRASHED, T0, CFG, crew=True)
    assert crashed.strategy == Strategy.SEANCE_RESTART
    cfg = LadderConfig(catalog={Condition.CRASHED: (Strategy.NUDGE, Strategy.SEANCE_RESTART)})
    assert (
        next_strategy([], Condition.CRASHED, T0, cfg, crew=True).strategy == Strategy.SEANCE_RESTART
    )


def test_checkpoint_due_is_not_a_ladder_condition() -> None:
    assert next_strategy([], Condition.CHECKPOINT_DUE, T0, CFG).step == Step.EXEMPT


# -- verification -------------------------------------------------------------------------


def seen(**kw: object) -> Observations:
    base: dict[str, object] = dict(
        identity=ID, alive=True, last_seen=T0 - 50, screen_state=ScreenState.BUSY
    )
    base.update(kw)
    return Observations(**base)  # type: ignore[arg-type]


PENDING_NUDGE = Attempt(ID, Condition.STALLED, Strategy.NUDGE, T0)


def test_success_needs_real_progress_a_screen_move_or_a_hook_step() -> None:
    assert verify(PENDING_NUDGE, seen(work_seen_at=T0 + 3), T0 + 6, 120) == Outcome.SUCCESS
    assert verify(PENDING_NUDGE, seen(hook_progress_at=T0 + 4), T0 + 6, 120) == Outcome.SUCCESS


def test_a_heartbeat_or_a_sign_of_life_on_screen_is_not_progress() -> None:
    life = seen(last_seen=T0 + 5, screen_changed_at=T0 + 5, hook_changed_at=T0 + 5)
    assert verify(PENDING_NUDGE, life, T0 + 6, 120) == Outcome.PENDING
    assert verify(PENDING_NUDGE, life, T0 + 120, 120) == Outcome.FAILURE


def test_a_restart_succeeds_only_on_progress_after_the_new_session_started() -> None:
    restart = Attempt(ID, Condition.STALLED, Strategy.SEANCE_RESTART, T0)
    # the new session (started at T0+2) primed: heartbeat, start-up screen — no progress
    primed = seen(session_started_at=T0 + 2, last_seen=T0 + 3, screen_changed_at=T0 + 3)
    assert verify(restart, primed, T0 + 119, 120) == Outcome.PENDING
    assert verify(restart, primed, T0 + 120, 120) == Outcome.FAILURE
    # a context cycle's own checkpoint (before the new session) is not the agent's progress
    cycle = Attempt(ID, Condition.STALLED, Strategy.CONTEXT_CYCLE, T0)
    own = seen(session_started_at=T0 + 2, hook_progress_at=T0 + 1)
    assert verify(cycle, own, T0 + 120, 120) == Outcome.FAILURE
    worked = seen(session_started_at=T0 + 2, hook_progress_at=T0 + 30)
    assert verify(cycle, worked, T0 + 31, 120) == Outcome.SUCCESS


def test_a_restarted_session_that_dies_at_once_is_reported_as_died() -> None:
    restart = Attempt(ID, Condition.CRASHED, Strategy.SEANCE_RESTART, T0)
    dead = seen(alive=False, session_started_at=T0 + 1, exited_at=T0 + 1.5, exit_code=3)
    assert verify(restart, dead, T0 + 2, 120) == Outcome.FAILURE
    assert verdict_detail(restart, dead, Outcome.FAILURE) == (
        "session died 0.5s after it started (exit code 3)"
    )
    silent = seen(session_started_at=T0 + 1)
    assert verdict_detail(restart, silent, Outcome.FAILURE) == "no progress within verify_within"


def test_no_progress_within_verify_within_is_a_failure() -> None:
    assert verify(PENDING_NUDGE, seen(screen_changed_at=T0 + 5), T0 + 119.9, 120) == Outcome.PENDING
    assert verify(PENDING_NUDGE, seen(screen_changed_at=T0 + 5), T0 + 120, 120) == Outcome.FAILURE


def test_progress_from_before_the_attempt_does_not_count() -> None:
    before = seen(last_seen=T0 - 1, screen_changed_at=T0 - 1, hook_changed_at=T0 - 1)
    assert verify(PENDING_NUDGE, before, T0 + 200, 120) == Outcome.FAILURE


def test_a_session_that_dies_after_the_attempt_fails_at_once() -> None:
    dead = seen(alive=False, exited_at=T0 + 3, exit_code=1)
    assert verify(PENDING_NUDGE, dead, T0 + 4, 120) == Outcome.FAILURE
    old_death = seen(alive=False, exited_at=T0 - 3)
    assert verify(PENDING_NUDGE, old_death, T0 + 4, 120) == Outcome.PENDING


def test_an_escalation_settles_as_escalated_and_settled_attempts_stay_settled() -> None:
    esc = Attempt(ID, Condition.STALLED, Strategy.ESCALATE, T0)
    assert verify(esc, seen(), T0, 120) == Outcome.ESCALATED
    done = PENDING_NUDGE.settle(Outcome.SUCCESS, T0 + 5)
    assert verify(done, seen(), T0 + 500, 120) == Outcome.SUCCESS
    with pytest.raises(IllegalTransition):
        done.settle(Outcome.FAILURE, T0 + 6)
