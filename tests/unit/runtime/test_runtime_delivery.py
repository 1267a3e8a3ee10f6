"""The exactly-once delivery protocol, driven against a scripted pane with a fake clock."""

from __future__ import annotations

import pytest

from bosun.base.clock import FakeClock
from bosun.base.errors import InvalidInput, RuntimeFailure
from bosun.runtime.delivery import DeliveryConfig, PaneLock, deliver
from bosun.runtime.presets import load_presets

SIM = load_presets()["sim"].screen
CONFIG = DeliveryConfig(
    max_bytes=100, enter_delay=0.15, verify_retries=2, verify_timeout=1.0, ready_timeout=5.0
)


class ScriptedPane:
    """A sim-like composer: takes text on Enter unless told to swallow the next `swallow`."""

    def __init__(self, clock: FakeClock, swallow: int = 0, ready_after: float = 0.0) -> None:
        self.clock = clock
        self.swallow = swallow
        self.ready_at = clock.monotonic() + ready_after
        self.composer = ""
        self.taken: list[str] = []
        self.calls: list[str] = []
        self.is_alive = True

    def type_literal(self, text: str) -> None:
        self.calls.append("keys")
        self.composer += text

    def paste(self, text: str) -> None:
        self.calls.append("paste")
        self.composer += text

    def press_enter(self) -> None:
        self.calls.append(f"enter@{self.clock.monotonic():.2f}")
        if self.swallow:
            self.swallow -= 1
            return
        if self.composer:
            self.taken.append(self.composer)
            self.composer = ""

    def screen(self) -> str:
        if self.clock.monotonic() < self.ready_at:
            return "starting"
        lines = [f"● received {i + 1}: {t[:60]}" for i, t in enumerate(self.taken)]
        return "\n".join([*lines, "sim> " + self.composer.replace("\n", "⏎")])

    def alive(self) -> bool:
        return self.is_alive


def run(pane: ScriptedPane, text: str, clock: FakeClock, submit: bool = True):  # type: ignore[no-untyped-def]
    return deliver(
        pane,
        text,
        submit=submit,
        patterns=SIM,
        config=CONFIG,
        sleep=clock.advance,
        monotonic=clock.monotonic,
    )


def test_enter_comes_as_its_own_call_after_the_delay_and_is_verified() -> None:
    clock = FakeClock()
    pane = ScriptedPane(clock)
    result = run(pane, "hello", clock)
    assert pane.taken == ["hello"]
    assert result.method == "keys" and result.verified and result.enter_presses == 1
    assert pane.calls[0] == "keys"
    assert float(pane.calls[1].split("@")[1]) >= 0.15


def test_a_swallowed_enter_is_pressed_again_and_the_text_is_never_retyped() -> None:
    clock = FakeClock()
    pane = ScriptedPane(clock, swallow=2)
    result = run(pane, "line one\nline two", clock)
    assert pane.taken == ["line one\nline two"]
    assert result.method == "paste" and result.enter_presses == 3
    assert pane.calls.count("paste") == 1 and "keys" not in pane.calls


def test_enter_presses_are_bounded_and_failure_is_not_delivery() -> None:
    clock = FakeClock()
    pane = ScriptedPane(clock, swallow=99)
    with pytest.raises(RuntimeFailure) as err:
        run(pane, "stuck", clock)
    assert err.value.code == "not_submitted"
    assert sum(c.startswith("enter") for c in pane.calls) == 1 + CONFIG.verify_retries
    assert pane.calls.count("keys") == 1


def test_nothing_is_typed_before_the_ready_screen() -> None:
    clock = FakeClock()
    pane = ScriptedPane(clock, ready_after=2.0)
    run(pane, "after ready", clock)
    assert clock.monotonic() >= 2.0 and pane.taken == ["after ready"]
    late = ScriptedPane(clock, ready_after=60.0)
    with pytest.raises(RuntimeFailure) as err:
        run(late, "too early", clock)
    assert err.value.code == "not_ready" and late.calls == []


def test_a_dead_pane_or_oversized_text_sends_nothing() -> None:
    clock = FakeClock()
    dead = ScriptedPane(clock)
    dead.is_alive = False
    with pytest.raises(RuntimeFailure):
        run(dead, "hi", clock)
    big = ScriptedPane(clock)
    with pytest.raises(InvalidInput):
        run(big, "x" * 101, clock)
    assert dead.calls == [] and big.calls == []


def test_long_single_lines_are_pasted_and_submit_false_leaves_the_text() -> None:
    clock = FakeClock()
    pane = ScriptedPane(clock)
    config = DeliveryConfig(max_bytes=4096)
    result = deliver(
        pane,
        "y" * 600,
        submit=False,
        patterns=SIM,
        config=config,
        sleep=clock.advance,
        monotonic=clock.monotonic,
    )
    assert result.method == "paste" and not result.submitted and pane.taken == []
    assert pane.composer == "y" * 600


def test_the_pane_lock_is_exclusive_across_open_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bosun.base.errors import LockHeld

    with (
        PaneLock(tmp_path, "sock-%1", timeout=1),
        pytest.raises(LockHeld),
        PaneLock(tmp_path, "sock-%1", timeout=0.2),
    ):
        pass
    with PaneLock(tmp_path, "sock-%1", timeout=0.2):
        pass
