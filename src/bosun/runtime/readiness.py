"""Waiting for a freshly launched session to show its ready screen.

Answers the folder-trust dialog on screen when the preset says how (pitfall 7: the
dialog's default answer is "No, exit"), and turns a session that dies during start-up into
a failed spawn that names its exit code and shows its last screen lines.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bosun.base.errors import RuntimeFailure
from bosun.runtime.protocol import Runtime, SessionHandle
from bosun.runtime.screen import ScreenState, shows_trust_dialog

POLL = 0.05


def screen_tail(runtime: Runtime, handle: SessionHandle, lines: int = 8) -> str:
    try:
        return runtime.capture(handle, lines)
    except RuntimeFailure:
        return ""


def wait_until_ready(
    runtime: Runtime,
    handle: SessionHandle,
    timeout: float,
    *,
    answer_trust: bool = True,
    accept_busy: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> ScreenState:
    """Poll until the screen is READY (or, with `accept_busy`, BUSY or asking a person
    anything but the folder-trust question: an agent that went straight to work has
    started); raise RuntimeFailure when it dies or times out."""
    deadline = monotonic() + timeout
    answered = False
    patterns = handle.patterns
    while True:
        state = runtime.screen_state(handle)
        if state is ScreenState.READY or (state is not ScreenState.DEAD and not patterns.ready):
            return state
        if accept_busy and state is ScreenState.BUSY:
            return state
        if state is ScreenState.DEAD:
            live = runtime.liveness(handle)
            code = live.exit_code if live.exit_code is not None else f"signal {live.signal}"
            raise RuntimeFailure(
                f"session {handle.session} exited during start-up (exit {code}); last screen: "
                + " | ".join(screen_tail(runtime, handle).splitlines()[-4:]),
                "run the preset's command by hand in the worktree to see why",
                code="spawn_failed",
            )
        if state is ScreenState.WAITING_INPUT:
            trust = shows_trust_dialog(runtime.capture(handle, patterns.window), patterns)
            if accept_busy and not trust:
                return state  # it went straight to work and asks a person: it has started
            if trust and answer_trust and not answered and patterns.trust_answer:
                for key in patterns.trust_answer:
                    runtime.press(handle, key)
                answered = True
        if monotonic() >= deadline:
            raise RuntimeFailure(
                f"session {handle.session} is not ready after {timeout:g}s (state {state}); "
                "last screen: " + " | ".join(screen_tail(runtime, handle).splitlines()[-4:]),
                "look at it with `bosun agent capture`, or raise runtime.ready_timeout",
                code="not_ready",
            )
        sleep(POLL)
