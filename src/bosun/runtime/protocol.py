"""The runtime driver protocol: launch, liveness, send, capture, screen state, last
activity, stop.

Every driver (tmux, subprocess, fake) implements `Runtime` and passes the one conformance
suite. Records here are frozen; a driver never keeps state that another bosun process
could not rebuild from a `SessionHandle` (tmux and the fake key everything on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from bosun.runtime.screen import ScreenPatterns, ScreenState

__all__ = [
    "Capabilities",
    "Delivery",
    "LaunchSpec",
    "Liveness",
    "LivenessState",
    "Observation",
    "Runtime",
    "ScreenPatterns",
    "ScreenState",
    "SessionHandle",
    "session_name",
]


class LivenessState(StrEnum):
    ALIVE = "alive"
    DEAD = "dead"
    INDETERMINATE = "indeterminate"  # the driver could not tell (timeout, foreign host…)


@dataclass(frozen=True)
class Liveness:
    state: LivenessState
    exit_code: int | None = None  # set when dead and the status is known
    signal: int | None = None  # set when dead by a signal
    reason: str = ""

    @property
    def alive(self) -> bool:
        return self.state is LivenessState.ALIVE

    @property
    def dead(self) -> bool:
        return self.state is LivenessState.DEAD

    def to_json(self) -> dict[str, Any]:
        return {
            "state": str(self.state),
            "exit_code": self.exit_code,
            "signal": self.signal,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Capabilities:
    """What a driver can do; the conformance suite and callers branch on these, not names."""

    interactive: bool  # a terminal the agent draws a screen on
    multiline_prompts: bool  # one multi-line text arrives as one prompt
    verified_delivery: bool  # send() checks the screen and re-presses Enter when swallowed
    attach: bool  # a person can attach to the session
    exit_status: bool  # a dead session's exit code can be read back
    survives_bosun: bool  # the session outlives the bosun process that launched it
    reports_activity: bool  # last_activity() reads when the session last drew or took input
    # observe_all() reads every session's liveness and activity in one call
    batch_observe: bool = False


@dataclass(frozen=True)
class Observation:
    """One session as a batch observation saw it (`observe_all`)."""

    liveness: Liveness
    activity: float | None = None  # as `last_activity()`; None when unknown
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class LaunchSpec:
    """Everything needed to start one session. `env` is the complete environment."""

    role: str
    name: str
    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str]
    patterns: ScreenPatterns = field(default_factory=ScreenPatterns)
    preset: str = ""
    incarnation: int = 1
    width: int = 200
    height: int = 50


def session_name(role: str, name: str) -> str:
    """The one place a session's name is built: `bosun-<role>-<name>`.

    tmux turns '.' and ':' in session names into '_', so we do it first and the name we
    record is the name tmux shows.
    """
    return f"bosun-{role}-{name}".replace(".", "_").replace(":", "_")


@dataclass(frozen=True)
class SessionHandle:
    """A launched session, enough for any bosun process to drive it again."""

    driver: str  # "tmux" | "subprocess" | "fake"
    session: str  # bosun-<role>-<name>
    role: str
    name: str
    target: str  # tmux pane id (%3), or the pid for subprocess, or the fake's key
    pid: int | None
    started_at: float
    socket: str = ""  # the tmux -L socket name
    preset: str = ""
    incarnation: int = 1
    patterns: ScreenPatterns = field(default_factory=ScreenPatterns, compare=False)
    log: str = ""  # the subprocess driver's output file

    def to_json(self) -> dict[str, Any]:
        return {
            "driver": self.driver,
            "session": self.session,
            "identity": f"{self.role}/{self.name}",
            "target": self.target,
            "pid": self.pid,
            "started_at": self.started_at,
            "socket": self.socket,
            "preset": self.preset,
            "incarnation": self.incarnation,
            "log": self.log,
        }


@dataclass(frozen=True)
class Delivery:
    """The outcome of one send. Only a returned Delivery means the text was sent."""

    method: str  # "keys" | "paste" | "stdin" | "fake"
    bytes: int
    submitted: bool
    verified: bool  # the screen confirmed the composer took the text
    enter_presses: int

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "bytes": self.bytes,
            "submitted": self.submitted,
            "verified": self.verified,
            "enter_presses": self.enter_presses,
        }


class Runtime(Protocol):
    """A session driver. Errors are `bosun.base.errors` classes: RuntimeFailure when the
    session or the driver fails, InvalidInput when the request is malformed (nothing sent),
    Conflict when the session name is already running."""

    driver: str
    capabilities: Capabilities

    def launch(self, spec: LaunchSpec) -> SessionHandle: ...

    def liveness(self, handle: SessionHandle) -> Liveness: ...

    def send(self, handle: SessionHandle, text: str, *, submit: bool = True) -> Delivery:
        """Deliver `text` exactly once (then Enter when `submit`), or raise."""

    def press(self, handle: SessionHandle, key: str) -> None:
        """Press one named key (`Enter`, `Escape`, `C-c`) or type one short literal (`1`)."""

    def capture(self, handle: SessionHandle, lines: int = 50) -> str:
        """The last `lines` lines of the session's screen or output."""

    def screen_state(self, handle: SessionHandle) -> ScreenState: ...

    def last_activity(self, handle: SessionHandle) -> float | None:
        """When the session last changed its screen/output or took input (epoch seconds);
        None when the driver cannot tell (`capabilities.reports_activity` is false) or the
        session is gone."""

    def stop(self, handle: SessionHandle, grace: float = 5.0) -> Liveness:
        """Interrupt, then terminate, then kill; returns the final liveness (dead)."""


def observe_all(runtime: Runtime, handles: list[SessionHandle]) -> dict[SessionHandle, Observation]:
    """Every handle's liveness and last activity: one driver call when the driver can
    (`capabilities.batch_observe`, e.g. tmux's `list-panes -a`), one call per session
    otherwise. The supervisor calls it once per tick instead of once per agent."""
    batch = getattr(runtime, "observe_all", None)
    if runtime.capabilities.batch_observe and batch is not None:
        found: dict[SessionHandle, Observation] = batch(handles)
        return found
    seen = {}
    for handle in handles:
        live = runtime.liveness(handle)
        activity = runtime.last_activity(handle) if live.alive else None
        seen[handle] = Observation(live, activity)
    return seen
