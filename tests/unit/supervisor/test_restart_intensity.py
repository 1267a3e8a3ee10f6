"""Restart intensity (OTP), geometric backoff (systemd RestartSteps), reset, quarantine."""

from __future__ import annotations

import pytest

from bosun.base.clock import FakeClock
from bosun.supervisor.policies.restart import RestartAction, RestartPolicy, RestartRecord

T0 = 1_800_000_000.0


def test_backoff_matches_systemd_restart_steps() -> None:
    # RestartSec=10s, RestartSteps=4, RestartMaxDelaySec=160s → 10, 20, 40, 80, 160, 160
    policy = RestartPolicy(base_delay=10, steps=4, max_delay=160)
    delays = [policy.delay_for(k) for k in range(1, 7)]
    assert delays == pytest.approx([10, 20, 40, 80, 160, 160])


def test_the_first_restart_of_a_streak_is_immediate() -> None:
    policy = RestartPolicy()
    assert policy.delay_for(0) == 0.0
    assert policy.next_delay([], T0) == 0.0


def test_without_steps_the_delay_is_constant() -> None:
    policy = RestartPolicy(base_delay=2, steps=0, max_delay=60)
    assert [policy.delay_for(k) for k in (1, 2, 5)] == [2, 2, 2]
    assert RestartPolicy(base_delay=0).delay_for(3) == 0.0


def crash_loop(policy: RestartPolicy, clock: FakeClock, runs: list[float]) -> list[RestartRecord]:
    """Each run lasts the given seconds, then crashes and is restarted after its delay."""
    history: list[RestartRecord] = []
    for run in runs:
        clock.advance(run)
        crashed = clock.now()
        delay = policy.next_delay(history, crashed)
        clock.advance(delay)
        history.append(RestartRecord(crashed, clock.now()))
    return history


def test_a_crash_loop_backs_off_geometrically() -> None:
    policy = RestartPolicy(max_restarts=10, base_delay=1, steps=4, max_delay=16, stable_after=600)
    clock = FakeClock(T0)
    history = crash_loop(policy, clock, [5, 5, 5, 5, 5, 5])
    gaps = [round(r.restarted_at - r.crashed_at, 6) for r in history]
    assert gaps == [0, 1, 2, 4, 8, 16]


def test_more_than_max_restarts_in_the_window_quarantines() -> None:
    policy = RestartPolicy(
        max_restarts=3, restart_window=600, base_delay=1, steps=2, max_delay=4, stable_after=600
    )
    clock = FakeClock(T0)
    history = crash_loop(policy, clock, [10, 10, 10])
    clock.advance(10)
    decision = policy.decide(history, clock.now())
    assert decision.action == RestartAction.QUARANTINE
    assert decision.in_window == 3
    assert "limit 3" in decision.reason


def test_restarts_outside_the_window_do_not_count() -> None:
    policy = RestartPolicy(
        max_restarts=3, restart_window=100, base_delay=1, steps=2, max_delay=4, stable_after=10_000
    )
    clock = FakeClock(T0)
    history = crash_loop(policy, clock, [60, 60, 60])  # ~one restart per minute
    clock.advance(60)
    decision = policy.decide(history, clock.now())
    assert decision.action == RestartAction.RESTART
    assert decision.in_window < 3 and decision.streak == 3


def test_stable_running_resets_the_streak_and_the_backoff() -> None:
    policy = RestartPolicy(max_restarts=3, base_delay=1, steps=2, max_delay=4, stable_after=600)
    clock = FakeClock(T0)
    history = crash_loop(policy, clock, [10, 10])
    assert len(policy.streak(history, clock.now())) == 2
    assert not policy.is_stable(history, clock.now() + 599)
    clock.advance(600)  # healthy for stable_after
    assert policy.is_stable(history, clock.now())
    decision = policy.decide(history, clock.now())
    assert decision.action == RestartAction.RESTART
    assert decision.delay == 0.0 and decision.streak == 0


def test_a_stable_run_in_the_middle_cuts_the_streak() -> None:
    policy = RestartPolicy(max_restarts=3, stable_after=600)
    history = [
        RestartRecord(T0, T0 + 1),
        RestartRecord(T0 + 10, T0 + 11),
        RestartRecord(T0 + 1000, T0 + 1001),  # ran 989 s healthy before this crash
        RestartRecord(T0 + 1010, T0 + 1012),
    ]
    streak = policy.streak(history, T0 + 1020)
    assert streak == tuple(history[2:])
    assert policy.decide(history, T0 + 1020).action == RestartAction.RESTART


def test_repeated_stalls_on_the_same_hook_count_however_slow_the_loop() -> None:
    # A stall every 20 minutes: never more than one restart in the 600 s window, and every
    # run lasts longer than stable_after — yet the hook has not moved since the first one.
    policy = RestartPolicy()  # max_restarts 5, restart_window 600, stable_after 600
    hook = "w-1:executing:abc"
    history = [RestartRecord(T0 + k * 1200 - 5, T0 + k * 1200, hook) for k in range(5)]
    now = T0 + 5 * 1200
    assert policy.decide(history, now).action == RestartAction.RESTART  # the old reading
    decision = policy.decide(history, now, hook)
    assert decision.action == RestartAction.QUARANTINE
    assert "without progress on the hook" in decision.reason
    # progress (a new checkpoint note) starts the count again
    assert policy.decide(history, now, "w-1:executing:def").action == RestartAction.RESTART
