"""Which agent needs a person first: a pure function of what is recorded about it and now.

`classify(facts, now, config)` puts every agent in one of seven levels, most urgent first:

waiting     its screen shows a prompt only a person can answer (permission, trust, choice)
escalated   quarantined, or named by an unread ESCALATION signal: a person must decide
crashing    crash-looping (`crash_loop_restarts` new sessions within `crash_loop_window`),
            crashed, or its session is gone while it should run
stalled     stale (no heartbeat), or busy on screen with no activity for `stall_after`
working     busy on screen
idle        at its prompt, or not observed
done        terminated or handed off, its work merged or released, or its session was
            ended on purpose (`bosun agent stop`)

The terminal UI orders its rows by `sort_key`; the dashboard can reuse the same levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Level(Enum):
    """(rank, label, colour): rank 0 needs a person most."""

    WAITING = (0, "waiting", "magenta")
    ESCALATED = (1, "escalated", "red")
    CRASHING = (2, "crashing", "red")
    STALLED = (3, "stalled", "yellow")
    WORKING = (4, "working", "green")
    IDLE = (5, "idle", "cyan")
    DONE = (6, "done", "grey50")

    @property
    def rank(self) -> int:
        return int(self.value[0])

    @property
    def label(self) -> str:
        return str(self.value[1])

    @property
    def colour(self) -> str:
        return str(self.value[2])

    @classmethod
    def named(cls, label: str) -> Level:
        for level in cls:
            if level.label == label:
                return level
        raise ValueError(label)


LABELS = tuple(level.label for level in Level)
FINISHED_STATUSES = frozenset({"terminated", "handed_off"})
FINISHED_PHASES = frozenset({"merged", "released"})
GONE_SCREENS = frozenset({"dead", "not running"})


@dataclass(frozen=True)
class AttentionConfig:
    stall_after: float = 600.0
    crash_loop_restarts: int = 3
    crash_loop_window: float = 600.0


@dataclass(frozen=True)
class AgentFacts:
    """What is recorded about one identity (all times epoch seconds)."""

    # identity status: active, stale, crashed, quarantined, terminated, handed_off — or
    # escalated, as the agent views show an identity a person must decide about
    status: str
    screen: str  # ready, busy, waiting_input, dead, unknown, not running
    last_activity: float  # the latest heartbeat, event or screen change seen for it
    phase: str | None = None
    escalated: bool = False
    restarts: tuple[float, ...] = ()  # when its later sessions started
    ended: str | None = None  # why its last session was ended on purpose (not a crash)


@dataclass(frozen=True)
class Attention:
    level: Level
    why: str

    @property
    def rank(self) -> int:
        return self.level.rank

    @property
    def label(self) -> str:
        return self.level.label

    @property
    def colour(self) -> str:
        return self.level.colour


def classify(facts: AgentFacts, now: float, config: AttentionConfig) -> Attention:
    """The attention level of one agent, with a short reason."""
    idle_for = max(0.0, now - facts.last_activity)
    if facts.status in FINISHED_STATUSES:
        return Attention(Level.DONE, facts.status.replace("_", " "))
    if facts.screen == "waiting_input":
        return Attention(Level.WAITING, "a prompt waits for an answer")
    if facts.status == "quarantined":
        return Attention(Level.ESCALATED, "quarantined")
    if facts.escalated or facts.status == "escalated":
        return Attention(Level.ESCALATED, "escalated")
    recent = [t for t in facts.restarts if now - t <= config.crash_loop_window]
    if len(recent) >= config.crash_loop_restarts:
        minutes = config.crash_loop_window / 60
        return Attention(Level.CRASHING, f"{len(recent)} restarts in {minutes:g}m")
    if facts.status == "crashed":
        return Attention(Level.CRASHING, "crashed")
    if facts.phase in FINISHED_PHASES:
        return Attention(Level.DONE, f"work {facts.phase}")
    if facts.screen in GONE_SCREENS and facts.ended:
        return Attention(Level.DONE, facts.ended)
    if facts.screen in GONE_SCREENS:
        return Attention(Level.CRASHING, "session dead" if facts.screen == "dead" else "no session")
    if facts.status == "stale":
        return Attention(Level.STALLED, f"stale, silent for {idle_for:.0f}s")
    if facts.screen == "busy" and idle_for >= config.stall_after:
        return Attention(Level.STALLED, f"busy, no activity for {idle_for:.0f}s")
    if facts.screen == "busy":
        return Attention(Level.WORKING, "busy")
    return Attention(Level.IDLE, "at its prompt" if facts.screen == "ready" else facts.screen)


def sort_key(attention: Attention, last_activity: float, identity: str) -> tuple[int, float, str]:
    """Most urgent level first; within a level, the longest silent first."""
    return (attention.rank, last_activity, identity)
