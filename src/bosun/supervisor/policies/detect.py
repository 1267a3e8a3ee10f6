"""Detection: what an identity's recorded observations say is wrong with it.

`classify(observations, now, config)` is a pure function: the engine records what it saw
(liveness and exit code, heartbeat, screen state and when the screen or the hook last
changed, context usage) and gets back the conditions that hold, each with its evidence.
Silence is judged on *every* channel: an agent whose screen or hook keeps changing is
working even when it has not called `bosun` for a while (kills need positive evidence).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ScreenState(StrEnum):
    """What the session's screen shows, as the runtime preset recognises it."""

    READY = "ready"  # idle at its prompt
    BUSY = "busy"  # working (spinner, streaming output)
    WAITING = "waiting"  # a permission or trust prompt needs an answer
    UNKNOWN = "unknown"  # no screen (subprocess driver) or not recognised


class Condition(StrEnum):
    """What can be wrong with an identity. All but CHECKPOINT_DUE drive the recovery ladder."""

    CRASHED = "crashed"
    HANDOFF_REQUESTED = "handoff_requested"
    CONTEXT_EXHAUSTED = "context_exhausted"
    WAITING = "waiting"
    STALLED = "stalled"
    STALE = "stale"
    CHECKPOINT_DUE = "checkpoint_due"  # ask once for a checkpoint; not a recovery condition


RECOVERY_CONDITIONS: tuple[Condition, ...] = (
    Condition.CRASHED,
    Condition.STALE,
    Condition.STALLED,
    Condition.WAITING,
    Condition.CONTEXT_EXHAUSTED,
    Condition.HANDOFF_REQUESTED,
)


@dataclass(frozen=True)
class DetectConfig:
    stale_after: float = 300.0
    stall_after: float = 600.0
    waiting_after: float = 120.0
    checkpoint_at: float = 75.0  # percent of the context window
    handoff_at: float = 85.0


@dataclass(frozen=True)
class Observations:
    """What the supervisor has recorded about one identity's current session.

    `alive` is None when the liveness probe could not tell (it timed out): indeterminate
    never counts as a crash. Timestamps are epoch seconds; None means never seen.
    """

    identity: str  # role/name
    alive: bool | None
    last_seen: float  # last heartbeat (every `bosun` call the agent makes)
    screen_state: ScreenState = ScreenState.UNKNOWN
    session_started_at: float | None = None
    exit_code: int | None = None
    exited_at: float | None = None
    screen_changed_at: float | None = None
    hook_changed_at: float | None = None
    waiting_since: float | None = None
    context_pct: float | None = None
    handoff_requested_at: float | None = None
    checkpoint_requested_at: float | None = None  # this session was already asked
    crew: bool = False
    # Unfinished work on the hook that is not done or queued for merging. An idle agent
    # with nothing to do is silent by design: that silence is not staleness.
    work_pending: bool = True
    # Real progress, for verifying a recovery attempt: the latest screen change seen
    # between two looks of this session (never its first look, never the echo of text the
    # supervisor typed), and the hook's latest phase change or checkpoint.
    work_seen_at: float | None = None
    hook_progress_at: float | None = None

    def last_sign_of_life(self) -> float:
        """The latest of heartbeat, screen change, hook change and session start."""
        stamps = [
            self.last_seen,
            self.screen_changed_at,
            self.hook_changed_at,
            self.session_started_at,
        ]
        return max(s for s in stamps if s is not None)

    def progress_since(self, since: float) -> bool:
        """Real progress after `since` (verification): a phase change or a checkpoint on
        the hook, or the screen moving between two looks (a tool call, a new step). A
        heartbeat, a fresh session's start-up screen or the echo of a nudge is a sign of
        life, not progress."""
        moved = any(
            s is not None and s > since for s in (self.work_seen_at, self.hook_progress_at)
        )
        return moved and self.alive is not False


@dataclass(frozen=True)
class Detection:
    condition: Condition
    identity: str
    at: float
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def event_kind(self) -> str:
        return f"supervisor.{self.condition}_detected"

    def event_data(self) -> dict[str, Any]:
        return {"condition": str(self.condition), **self.evidence}


def classify(obs: Observations, now: float, config: DetectConfig) -> tuple[Detection, ...]:
    """Every condition that holds for `obs` at `now`, most urgent first.

    A dead session is CRASHED, or HANDOFF_REQUESTED when it asked for a handoff before it
    ended (a graceful exit); nothing else is judged on a dead session.
    """

    def found(condition: Condition, **evidence: Any) -> Detection:
        return Detection(condition, obs.identity, now, evidence)

    handoff = obs.handoff_requested_at is not None and (
        obs.session_started_at is None or obs.handoff_requested_at >= obs.session_started_at
    )
    if obs.alive is False:
        if handoff:
            return (
                found(
                    Condition.HANDOFF_REQUESTED,
                    requested_at=obs.handoff_requested_at,
                    alive=False,
                    exit_code=obs.exit_code,
                ),
            )
        return (
            found(
                Condition.CRASHED,
                exit_code=obs.exit_code,
                exited_at=obs.exited_at,
                last_seen_age_s=_age(now, obs.last_seen),
            ),
        )

    detections: list[Detection] = []
    if handoff:
        detections.append(
            found(
                Condition.HANDOFF_REQUESTED, requested_at=obs.handoff_requested_at, alive=obs.alive
            )
        )
    if obs.context_pct is not None:
        if obs.context_pct >= config.handoff_at:
            detections.append(
                found(
                    Condition.CONTEXT_EXHAUSTED,
                    context_pct=obs.context_pct,
                    handoff_at=config.handoff_at,
                )
            )
        elif obs.context_pct >= config.checkpoint_at and obs.checkpoint_requested_at is None:
            detections.append(
                found(
                    Condition.CHECKPOINT_DUE,
                    context_pct=obs.context_pct,
                    checkpoint_at=config.checkpoint_at,
                )
            )
    if obs.alive is None:
        return tuple(detections)  # indeterminate: judge nothing on silence

    if obs.screen_state == ScreenState.WAITING and obs.waiting_since is not None:
        waited = now - obs.waiting_since
        if waited >= config.waiting_after:
            detections.append(
                found(
                    Condition.WAITING,
                    waiting_for_s=round(waited, 3),
                    waiting_after=config.waiting_after,
                )
            )
        return tuple(detections)  # a prompt on screen is neither a stall nor silence

    quiet = now - obs.last_sign_of_life()
    evidence = {
        "quiet_for_s": round(quiet, 3),
        "last_seen_age_s": _age(now, obs.last_seen),
        "screen_changed_age_s": _age(now, obs.screen_changed_at),
        "hook_changed_age_s": _age(now, obs.hook_changed_at),
        "screen_state": str(obs.screen_state),
    }
    if obs.screen_state == ScreenState.BUSY:
        if quiet >= config.stall_after:
            detections.append(found(Condition.STALLED, stall_after=config.stall_after, **evidence))
    elif quiet >= config.stale_after and obs.work_pending:
        detections.append(found(Condition.STALE, stale_after=config.stale_after, **evidence))
    return tuple(detections)


def recovery_condition(detections: tuple[Detection, ...]) -> Detection | None:
    """The one detection the recovery ladder acts on (the most urgent), if any."""
    for detection in detections:
        if detection.condition in RECOVERY_CONDITIONS:
            return detection
    return None


def _age(now: float, ts: float | None) -> float | None:
    return None if ts is None else round(max(0.0, now - ts), 3)
