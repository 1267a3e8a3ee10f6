"""The resume queue's decisions (after instar's ResumeQueue): revive sessions that ended
mid-work, boundedly.

- enqueue: only sessions bosun's own reaper/limits or something outside ended while their
  hook held unfinished work; one open entry per identity (stable key); at most
  `max_resurrections` revivals per identity per `resurrection_window` (kill→revive loops).
- drain: entries past their TTL give up; at most one revival per tick; at most
  `max_attempts` attempts with doubling retry backoff; a breaker opens after
  `breaker_threshold` consecutive failed revivals and half-opens after `breaker_cooldown`.
- drain-time validation: an entry is invalidated (with the reason) instead of revived when a
  live session exists, the worktree is gone, the identity was terminated, an operator
  stopped it, or the hook no longer holds unfinished work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bosun.base.errors import IllegalTransition


class EntryStatus(StrEnum):
    QUEUED = "queued"
    STARTING = "starting"
    REVIVED = "revived"
    CANCELLED = "cancelled"
    INVALIDATED = "invalidated"
    GAVE_UP = "gave_up"


E = EntryStatus
OPEN_STATUSES = frozenset({E.QUEUED, E.STARTING})
ENTRY_TRANSITIONS: dict[EntryStatus, frozenset[EntryStatus]] = {
    E.QUEUED: frozenset({E.STARTING, E.CANCELLED, E.INVALIDATED, E.GAVE_UP}),
    E.STARTING: frozenset({E.REVIVED, E.QUEUED, E.GAVE_UP, E.INVALIDATED, E.CANCELLED}),
    E.REVIVED: frozenset(),
    E.CANCELLED: frozenset({E.QUEUED}),
    E.INVALIDATED: frozenset({E.QUEUED}),
    E.GAVE_UP: frozenset({E.QUEUED}),
}


class EndCause(StrEnum):
    """Why a session ended, as the supervisor saw it."""

    REAPED = "reaped"  # bosun's own reaper (idle/age limits, pressure)
    LIMIT = "limit"  # a bosun limit (quota, session cap)
    EXTERNAL = "external"  # something outside bosun (tmux kill-session, OOM killer, reboot)
    OPERATOR = "operator"  # a person stopped it on purpose
    QUARANTINE = "quarantine"  # the restart limits quarantined the identity


REVIVABLE_CAUSES = frozenset({EndCause.REAPED, EndCause.LIMIT, EndCause.EXTERNAL})


@dataclass(frozen=True)
class ResumeConfig:
    enabled: bool = True
    dry_run: bool = False
    max_resurrections: int = 2
    resurrection_window: float = 86400.0
    entry_ttl: float = 86400.0
    max_attempts: int = 3
    retry_backoff: float = 60.0
    breaker_threshold: int = 3
    breaker_cooldown: float = 1800.0


def stable_key(identity: str) -> str:
    return f"identity:{identity}"


@dataclass(frozen=True)
class ResumeEntry:
    id: str
    identity: str  # role/name
    status: EntryStatus
    cause: EndCause
    created_at: float
    expires_at: float
    work_id: str | None = None
    worktree: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_attempt_at: float | None = None
    last_error: str | None = None
    reason: str | None = None  # why it was invalidated, gave up or was cancelled
    revived_at: float | None = None
    updated_at: float = 0.0

    @property
    def key(self) -> str:
        return stable_key(self.identity)

    def move(self, status: EntryStatus, now: float, **changes: Any) -> ResumeEntry:
        if status not in ENTRY_TRANSITIONS[self.status]:
            allowed = ", ".join(sorted(ENTRY_TRANSITIONS[self.status])) or "none (it is final)"
            raise IllegalTransition(
                f"resume entry {self.id} cannot go from {self.status} to {status}",
                f"from {self.status} it can go to: {allowed}",
            )
        return replace(self, status=status, updated_at=now, **changes)


@dataclass(frozen=True)
class SessionEnding:
    """A session that ended, as reported to the queue."""

    identity: str
    cause: EndCause
    hook_unfinished: bool
    work_id: str | None = None
    worktree: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EnqueueDecision:
    enqueue: bool
    reason: str
    capped: bool = False  # refused at the revival cap: nothing will revive it any more


def consider_enqueue(
    ending: SessionEnding,
    open_entry: ResumeEntry | None,
    revivals: Sequence[float],
    now: float,
    config: ResumeConfig,
) -> EnqueueDecision:
    """Should this ending be queued for revival? `revivals` are past revival times."""
    if not config.enabled:
        return EnqueueDecision(False, "the resume queue is disabled")
    if ending.cause not in REVIVABLE_CAUSES:
        return EnqueueDecision(False, f"ended by {ending.cause}; not revived")
    if not ending.hook_unfinished:
        return EnqueueDecision(False, "no unfinished work on the hook")
    if open_entry is not None:
        return EnqueueDecision(False, f"already queued as {open_entry.id} ({open_entry.status})")
    recent = [t for t in revivals if now - t < config.resurrection_window]
    if len(recent) >= config.max_resurrections:
        return EnqueueDecision(
            False,
            f"revived {len(recent)} times in the last "
            f"{config.resurrection_window / 3600:g}h (limit {config.max_resurrections})",
            capped=True,
        )
    return EnqueueDecision(True, f"ended mid-work ({ending.cause})")


@dataclass(frozen=True)
class Breaker:
    open: bool
    failures: int  # consecutive failed revivals, newest first
    until: float | None = None


def breaker_state(
    outcomes: Sequence[tuple[float, bool]], now: float, config: ResumeConfig
) -> Breaker:
    """The breaker from recent revival outcomes `(at, succeeded)`.

    Open when the last `breaker_threshold` revivals all failed and the newest failure is
    younger than `breaker_cooldown`; after the cooldown one attempt may go (half-open), and
    a new failure reopens it.
    """
    failures = 0
    last_failure: float | None = None
    for at, ok in sorted(outcomes, key=lambda o: o[0], reverse=True):
        if ok:
            break
        failures += 1
        last_failure = at if last_failure is None else last_failure
    if failures >= config.breaker_threshold and last_failure is not None:
        until = last_failure + config.breaker_cooldown
        if now < until:
            return Breaker(True, failures, until)
    return Breaker(False, failures)


@dataclass(frozen=True)
class DrainPlan:
    expired: tuple[ResumeEntry, ...]  # past their TTL: give up
    candidates: tuple[ResumeEntry, ...]  # eligible now, best first; revive at most one
    reason: str


def plan_drain(
    entries: Sequence[ResumeEntry], breaker: Breaker, now: float, config: ResumeConfig
) -> DrainPlan:
    """Which entries expire, and which may be revived (in order) on this tick."""
    queued = [e for e in entries if e.status == EntryStatus.QUEUED]
    expired = tuple(e for e in queued if now >= e.expires_at)
    live = [e for e in queued if now < e.expires_at]
    if not config.enabled:
        return DrainPlan(expired, (), "the resume queue is disabled")
    if breaker.open:
        return DrainPlan(expired, (), f"breaker open after {breaker.failures} failed revivals")
    ready = sorted(
        (e for e in live if e.next_attempt_at <= now and e.attempts < config.max_attempts),
        key=lambda e: (e.created_at, e.id),
    )
    reason = (
        f"{len(ready)} entr{'y' if len(ready) == 1 else 'ies'} ready" if ready else "nothing ready"
    )
    return DrainPlan(expired, tuple(ready), reason)


@dataclass(frozen=True)
class DrainFacts:
    """What the engine found out (I/O) about an entry just before reviving it."""

    live_session: bool
    worktree_exists: bool
    identity_status: str | None  # None: the identity no longer exists
    operator_stopped: bool
    hook_unfinished: bool


def invalid_reason(entry: ResumeEntry, facts: DrainFacts) -> str | None:
    """Why `entry` must not be revived now (drain-time validation), or None."""
    if facts.identity_status is None:
        return "the identity no longer exists"
    if facts.identity_status == "terminated":
        return "the identity was terminated"
    if facts.identity_status == "quarantined":
        return "the identity is quarantined"
    if facts.operator_stopped:
        return "an operator stopped it"
    if facts.live_session:
        return "a live session already exists"
    if entry.worktree and not facts.worktree_exists:
        return f"the worktree {entry.worktree} is gone"
    if not facts.hook_unfinished:
        return "the hook no longer holds unfinished work"
    return None


def after_attempt(
    entry: ResumeEntry, succeeded: bool, now: float, config: ResumeConfig, error: str | None = None
) -> ResumeEntry:
    """The entry after a revival attempt (`entry` is STARTING, its attempts counted)."""
    if succeeded:
        return entry.move(EntryStatus.REVIVED, now, revived_at=now, last_error=None)
    if entry.attempts >= config.max_attempts:
        return entry.move(
            EntryStatus.GAVE_UP, now, last_error=error, reason=f"{entry.attempts} attempts failed"
        )
    delay = config.retry_backoff * 2 ** max(0, entry.attempts - 1)
    return entry.move(EntryStatus.QUEUED, now, last_error=error, next_attempt_at=now + delay)
