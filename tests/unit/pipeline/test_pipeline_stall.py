"""The stall watchdog's policy on a fake clock: any sign of work resets it, a waiting
human gate holds it, and only a run that showed nothing for the whole timeout is stalled."""

from __future__ import annotations

from bosun.base.clock import FakeClock
from bosun.pipeline.stall import StallWatchdog


def test_a_run_that_shows_nothing_for_the_timeout_is_stalled() -> None:
    clock = FakeClock()
    watchdog = StallWatchdog(600, clock)
    clock.advance(600)
    assert watchdog.stalled() is None
    clock.advance(1)
    assert watchdog.stalled() == 601


def test_any_sign_of_work_resets_the_watchdog_and_is_named_when_it_fires() -> None:
    clock = FakeClock()
    watchdog = StallWatchdog(600, clock)
    for source in ("screen", "tool_call", "commit", "model_request", "checkpoint"):
        clock.advance(599)
        watchdog.progress(source)
        assert watchdog.stalled() is None, source
    clock.advance(601)
    assert watchdog.stalled() == 601
    assert watchdog.last_source == "checkpoint"


def test_a_waiting_human_gate_holds_the_watchdog_and_its_answer_starts_it_afresh() -> None:
    clock = FakeClock()
    watchdog = StallWatchdog(10, clock)
    watchdog.pause()
    clock.advance(3600)
    assert watchdog.stalled() is None
    watchdog.resume()
    clock.advance(10)
    assert watchdog.stalled() is None
    clock.advance(1)
    assert watchdog.stalled() == 11
