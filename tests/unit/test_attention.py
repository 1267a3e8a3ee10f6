"""The attention levels: who needs a person first, decided from facts and a fake clock."""

from __future__ import annotations

from bosun.base.clock import FakeClock
from bosun.core.attention import (
    LABELS,
    AgentFacts,
    AttentionConfig,
    Level,
    classify,
    sort_key,
)

CONFIG = AttentionConfig(stall_after=600, crash_loop_restarts=3, crash_loop_window=600)


def facts(clock: FakeClock, **kw: object) -> AgentFacts:
    base: dict[str, object] = {"status": "active", "screen": "ready", "last_activity": clock.now()}
    base.update(kw)
    return AgentFacts(**base)  # type: ignore[arg-type]


def level(clock: FakeClock, **kw: object) -> Level:
    return classify(facts(clock, **kw), clock.now(), CONFIG).level


def test_levels_are_in_the_order_of_the_issue() -> None:
    assert LABELS == ("waiting", "escalated", "crashing", "stalled", "working", "idle", "done")
    assert [lv.rank for lv in Level] == list(range(7))


def test_a_prompt_on_screen_outranks_everything_but_a_finished_identity() -> None:
    clock = FakeClock()
    assert level(clock, screen="waiting_input") is Level.WAITING
    assert level(clock, screen="waiting_input", status="quarantined") is Level.WAITING
    assert level(clock, screen="waiting_input", status="terminated") is Level.DONE


def test_quarantine_and_unread_escalation_are_escalated() -> None:
    clock = FakeClock()
    assert level(clock, status="quarantined", screen="not running") is Level.ESCALATED
    found = classify(facts(clock, escalated=True, screen="busy"), clock.now(), CONFIG)
    assert found.level is Level.ESCALATED and found.why == "escalated"


def test_three_restarts_within_the_window_is_a_crash_loop_and_it_ages_out() -> None:
    clock = FakeClock()
    restarts = (clock.now(), clock.now() + 100, clock.now() + 200)
    clock.advance(200)
    found = classify(facts(clock, restarts=restarts, screen="busy"), clock.now(), CONFIG)
    assert found.level is Level.CRASHING and found.why == "3 restarts in 10m"
    clock.advance(401)  # the first restart leaves the window
    again = classify(
        facts(clock, restarts=restarts, screen="busy"), clock.now(), CONFIG
    )
    assert again.level is Level.WORKING


def test_crashed_or_a_gone_session_is_crashing() -> None:
    clock = FakeClock()
    assert level(clock, status="crashed", screen="not running") is Level.CRASHING
    assert level(clock, screen="dead") is Level.CRASHING
    assert level(clock, screen="not running") is Level.CRASHING


def test_busy_without_activity_for_stall_after_is_stalled() -> None:
    clock = FakeClock()
    start = clock.now()
    clock.advance(599)
    assert level(clock, screen="busy", last_activity=start) is Level.WORKING
    clock.advance(1)
    found = classify(facts(clock, screen="busy", last_activity=start), clock.now(), CONFIG)
    assert found.level is Level.STALLED and "600s" in found.why
    assert level(clock, status="stale", last_activity=start) is Level.STALLED


def test_idle_at_prompt_and_done_by_status_or_phase() -> None:
    clock = FakeClock()
    assert level(clock) is Level.IDLE
    assert level(clock, screen="unknown") is Level.IDLE
    assert level(clock, status="handed_off", screen="not running") is Level.DONE
    assert level(clock, phase="merged", screen="not running") is Level.DONE
    assert level(clock, phase="released") is Level.DONE


def test_sort_key_puts_urgent_first_then_the_longest_silent() -> None:
    clock = FakeClock()
    now = clock.now()
    rows = [
        ("idle-old", classify(facts(clock, last_activity=now - 50), now, CONFIG), now - 50),
        ("waiting", classify(facts(clock, screen="waiting_input"), now, CONFIG), now),
        ("idle-new", classify(facts(clock), now, CONFIG), now),
        ("done", classify(facts(clock, status="terminated"), now, CONFIG), now - 999),
        ("working", classify(facts(clock, screen="busy"), now, CONFIG), now),
    ]
    ordered = sorted(rows, key=lambda r: sort_key(r[1], r[2], r[0]))
    assert [r[0] for r in ordered] == ["waiting", "working", "idle-old", "idle-new", "done"]


def test_a_session_stopped_on_purpose_is_done_not_crashing() -> None:
    clock = FakeClock()
    found = classify(
        facts(clock, screen="not running", ended="stopped by operator"), clock.now(), CONFIG
    )
    assert found.level is Level.DONE and found.why == "stopped by operator"
    assert level(clock, status="crashed", screen="not running", ended="x") is Level.CRASHING
