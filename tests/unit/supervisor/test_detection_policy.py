"""Detection: observations → conditions with evidence (pure, fake clock, no sleeps)."""

from __future__ import annotations

from bosun.base.clock import FakeClock
from bosun.supervisor.policies.detect import (
    Condition,
    DetectConfig,
    Observations,
    ScreenState,
    classify,
    recovery_condition,
)

CFG = DetectConfig()  # stale 300, stall 600, waiting 120, checkpoint 75, handoff 85
T0 = 1_800_000_000.0


def obs(**kw: object) -> Observations:
    base: dict[str, object] = dict(
        identity="polecat/toast",
        alive=True,
        last_seen=T0,
        session_started_at=T0,
        screen_state=ScreenState.READY,
    )
    base.update(kw)
    return Observations(**base)  # type: ignore[arg-type]


def conditions(o: Observations, now: float) -> list[Condition]:
    return [d.condition for d in classify(o, now, CFG)]


def test_a_healthy_session_has_no_conditions() -> None:
    assert conditions(obs(), T0 + 10) == []


def test_a_dead_session_is_crashed_with_its_exit_code_as_evidence() -> None:
    found = classify(obs(alive=False, exit_code=137, exited_at=T0 + 5), T0 + 5.1, CFG)
    assert [d.condition for d in found] == [Condition.CRASHED]
    assert found[0].evidence["exit_code"] == 137
    assert found[0].event_kind == "supervisor.crashed_detected"
    assert found[0].event_data()["condition"] == "crashed"


def test_indeterminate_liveness_never_counts_as_a_crash_or_silence() -> None:
    assert conditions(obs(alive=None), T0 + 10_000) == []


def test_a_session_that_asked_for_a_handoff_and_exited_is_a_handoff_not_a_crash() -> None:
    o = obs(alive=False, exit_code=0, handoff_requested_at=T0 + 50)
    assert conditions(o, T0 + 60) == [Condition.HANDOFF_REQUESTED]


def test_a_handoff_request_from_a_previous_session_does_not_count() -> None:
    o = obs(alive=False, exit_code=1, handoff_requested_at=T0 - 100)
    assert conditions(o, T0 + 60) == [Condition.CRASHED]


def test_stale_is_silence_on_every_channel_for_stale_after() -> None:
    clock = FakeClock(T0)
    clock.advance(299.9)
    assert conditions(obs(), clock.now()) == []
    clock.advance(0.1)
    found = classify(obs(), clock.now(), CFG)
    assert [d.condition for d in found] == [Condition.STALE]
    assert found[0].evidence["quiet_for_s"] == 300.0
    assert found[0].evidence["last_seen_age_s"] == 300.0


def test_a_screen_or_hook_change_is_a_sign_of_life_even_without_heartbeat() -> None:
    assert conditions(obs(screen_changed_at=T0 + 200), T0 + 400) == []
    assert conditions(obs(hook_changed_at=T0 + 200), T0 + 400) == []
    assert conditions(obs(hook_changed_at=T0 + 200), T0 + 500) == [Condition.STALE]


def test_busy_without_any_change_is_stalled_after_stall_after_not_stale() -> None:
    busy = obs(screen_state=ScreenState.BUSY, screen_changed_at=T0)
    assert conditions(busy, T0 + 400) == []  # busy screens are not "stale"
    assert conditions(busy, T0 + 599) == []
    found = classify(busy, T0 + 600, CFG)
    assert [d.condition for d in found] == [Condition.STALLED]
    assert found[0].evidence["screen_state"] == "busy"
    assert found[0].evidence["stall_after"] == 600


def test_busy_with_a_changing_screen_is_working() -> None:
    busy = obs(screen_state=ScreenState.BUSY, screen_changed_at=T0 + 590)
    assert conditions(busy, T0 + 900) == []


def test_a_prompt_is_waiting_after_waiting_after_and_never_stale() -> None:
    prompt = obs(screen_state=ScreenState.WAITING, waiting_since=T0 + 10)
    assert conditions(prompt, T0 + 129) == []
    found = classify(prompt, T0 + 130, CFG)
    assert [d.condition for d in found] == [Condition.WAITING]
    assert found[0].evidence["waiting_for_s"] == 120
    assert conditions(prompt, T0 + 5000) == [Condition.WAITING]


def test_context_checkpoint_is_asked_once_then_handoff_at_85() -> None:
    assert conditions(obs(context_pct=74.9), T0 + 1) == []
    assert conditions(obs(context_pct=75.0), T0 + 1) == [Condition.CHECKPOINT_DUE]
    asked = obs(context_pct=80.0, checkpoint_requested_at=T0 + 1)
    assert conditions(asked, T0 + 2) == []
    exhausted = classify(obs(context_pct=85.0, checkpoint_requested_at=T0 + 1), T0 + 3, CFG)
    assert [d.condition for d in exhausted] == [Condition.CONTEXT_EXHAUSTED]
    assert exhausted[0].evidence == {"context_pct": 85.0, "handoff_at": 85.0}


def test_context_thresholds_follow_the_config() -> None:
    cfg = DetectConfig(checkpoint_at=50, handoff_at=60)
    assert [d.condition for d in classify(obs(context_pct=55), T0, cfg)] == [
        Condition.CHECKPOINT_DUE
    ]
    assert [d.condition for d in classify(obs(context_pct=61), T0, cfg)] == [
        Condition.CONTEXT_EXHAUSTED
    ]


def test_the_recovery_condition_is_the_most_urgent_one_and_skips_checkpoints() -> None:
    both = classify(obs(context_pct=90, handoff_requested_at=T0 + 1), T0 + 2, CFG)
    assert [d.condition for d in both] == [Condition.HANDOFF_REQUESTED, Condition.CONTEXT_EXHAUSTED]
    chosen = recovery_condition(both)
    assert chosen is not None and chosen.condition == Condition.HANDOFF_REQUESTED
    assert recovery_condition(classify(obs(context_pct=76), T0, CFG)) is None


def test_a_fresh_session_gets_a_grace_period_from_its_start() -> None:
    o = obs(last_seen=T0 - 1000, session_started_at=T0)
    assert conditions(o, T0 + 100) == []
    assert conditions(o, T0 + 300) == [Condition.STALE]
