"""The fallback chain: live trigger → resume (at most N) → spawn with a thread summary.

A pure decision of the next hop from what is known about the target and what was tried in
this job. A session stale for longer than `resume_stale_after` skips resuming; a quarantined
(crash-looping) identity is escalated instead of being spawned again; a terminated identity,
or one an operator stopped, is never woken. The engine asks again before every hop, with
what it finds at that moment. A session that is there but busy is never replaced: the job
is re-queued (`REQUEUE`) and looked at again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Hop(StrEnum):
    LIVE = "live"
    RESUME = "resume"
    SPAWN = "spawn"
    RETRY = "retry"  # the session is there but did not take the text: try the job again later
    REQUEUE = "requeue"  # the session is there and busy: look again later (not a failure)
    ESCALATE = "escalate"
    CANCEL = "cancel"  # the target must not be woken at all


class SessionState(StrEnum):
    LIVE = "live"  # a session runs and its pane/process are alive
    DEAD = "dead"  # the identity has a session record but its process is gone
    MISSING = "missing"  # the identity has no session at all


# how a hop failed; the first three come from delivery, the rest from the chain
TARGET_GONE = "target_gone"
PANE_DEAD = "pane_dead"
NOT_READY = "not_ready"
DELIVERY_UNVERIFIED = "delivery_unverified"
RESUME_FAILED = "resume_failed"
SPAWN_FAILED = "spawn_failed"
QUARANTINED = "quarantined"
TERMINATED = "terminated"
STOPPED = "target_stopped"  # an operator stopped its session (`bosun agent stop`)
STALE_SESSION = "stale_session"


@dataclass(frozen=True)
class ChainConfig:
    max_resumes: int = 2
    resume_stale_after: float = 12 * 3600.0


@dataclass(frozen=True)
class ChainState:
    session: SessionState
    session_age: float  # seconds since the identity was last seen
    quarantined: bool = False
    terminated: bool = False
    stopped: bool = False  # its last session was ended by an operator
    live_failed: str | None = None  # classification of a failed live delivery in this job
    resumes: int = 0  # resume attempts made in this job
    spawned: bool = False  # a spawn was attempted in this job


@dataclass(frozen=True)
class HopDecision:
    hop: Hop
    reason: str


def next_hop(state: ChainState, config: ChainConfig) -> HopDecision:
    if state.terminated:
        return HopDecision(Hop.CANCEL, TERMINATED)
    if state.stopped:
        return HopDecision(Hop.CANCEL, STOPPED)
    if state.quarantined:
        return HopDecision(Hop.ESCALATE, QUARANTINED)
    if state.session == SessionState.LIVE and state.live_failed is None and state.resumes == 0:
        return HopDecision(Hop.LIVE, "session_live")
    if state.live_failed == NOT_READY:
        # the session is there but busy: never replace it; look again later
        return HopDecision(Hop.REQUEUE, NOT_READY)
    if state.live_failed == DELIVERY_UNVERIFIED:
        # the session is there but did not take the text: retry the job, do not replace it
        return HopDecision(Hop.RETRY, state.live_failed)
    if state.spawned:
        return HopDecision(Hop.ESCALATE, SPAWN_FAILED)
    if state.session_age > config.resume_stale_after:
        return HopDecision(Hop.SPAWN, STALE_SESSION)
    if state.session == SessionState.MISSING:
        return HopDecision(Hop.SPAWN, "no_session")
    if state.resumes < config.max_resumes:
        return HopDecision(Hop.RESUME, state.live_failed or "session_dead")
    return HopDecision(Hop.SPAWN, RESUME_FAILED)
