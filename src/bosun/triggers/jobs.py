"""Trigger job records: states, transitions, attempts and the envelope callers get back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bosun.base.clock import iso
from bosun.store.protocol import Row, Tx


class JobState(StrEnum):
    QUEUED = "queued"  # waiting to be claimed (new, deferred or requeued)
    RETRY = "retry"  # failed or rescued; waiting for its backoff to pass
    RUNNING = "running"  # claimed by a worker holding the lease
    COMPLETED = "completed"  # a hop woke the target (or nothing was left unread)
    DEAD = "dead"  # failed attempts (or rescues) used up; requeue to try again
    ESCALATED = "escalated"  # every hop of the fallback chain failed, or quarantined target
    BLOCKED = "blocked"  # a loop safeguard blocked the pair
    CANCELLED = "cancelled"  # must not run: thread closed, target terminated
    FALLBACK_REQUIRED = "fallback_required"  # the target is not managed by bosun


J = JobState
PENDING_STATES = frozenset({J.QUEUED, J.RETRY, J.RUNNING})
TERMINAL_STATES = frozenset(
    {J.COMPLETED, J.DEAD, J.ESCALATED, J.BLOCKED, J.CANCELLED, J.FALLBACK_REQUIRED}
)
REQUEUEABLE = frozenset({J.DEAD, J.ESCALATED, J.BLOCKED, J.CANCELLED})

JOB_TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    J.QUEUED: frozenset({J.RUNNING}),
    J.RETRY: frozenset({J.RUNNING}),
    J.RUNNING: frozenset(
        {J.QUEUED, J.RETRY, J.COMPLETED, J.DEAD, J.ESCALATED, J.BLOCKED, J.CANCELLED}
    ),
    J.DEAD: frozenset({J.QUEUED}),
    J.ESCALATED: frozenset({J.QUEUED}),
    J.BLOCKED: frozenset({J.QUEUED}),
    J.CANCELLED: frozenset({J.QUEUED}),
    J.COMPLETED: frozenset(),
    J.FALLBACK_REQUIRED: frozenset(),
}


def pending_key(thread_id: str, role: str, name: str) -> str:
    return f"{thread_id}|{role}/{name}"


@dataclass(frozen=True)
class TriggerJob:
    id: str
    thread_id: str
    target_role: str
    target_name: str
    requested_by: str
    trace_id: str
    state: JobState
    attempts: int
    failures: int
    rescues: int
    max_attempts: int
    run_after: float
    created_at: float
    updated_at: float
    upto_seq: int = 0
    reason: str | None = None
    force: bool = False
    force_why: str | None = None
    deferred_since: float | None = None
    lease_owner: str | None = None
    lease_token: str | None = None
    claimed_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    hop: str | None = None
    outcome: str | None = None
    last_reason: str | None = None

    @property
    def target(self) -> str:
        return f"{self.target_role}/{self.target_name}"

    @classmethod
    def from_row(cls, row: Row) -> TriggerJob:
        return cls(
            id=row["id"],
            thread_id=row["thread_id"],
            target_role=row["target_role"],
            target_name=row["target_name"],
            requested_by=row["requested_by"],
            trace_id=row["trace_id"],
            state=JobState(row["state"]),
            attempts=int(row["attempts"]),
            failures=int(row["failures"]),
            rescues=int(row["rescues"]),
            max_attempts=int(row["max_attempts"]),
            run_after=row["run_after"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            upto_seq=int(row["upto_seq"]),
            reason=row["reason"],
            force=bool(row["force"]),
            force_why=row["force_why"],
            deferred_since=row["deferred_since"],
            lease_owner=row["lease_owner"],
            lease_token=row["lease_token"],
            claimed_at=row["claimed_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            hop=row["hop"],
            outcome=row["outcome"],
            last_reason=row["last_reason"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "thread_id": self.thread_id,
            "target": self.target,
            "requested_by": self.requested_by,
            "trace_id": self.trace_id,
            "state": str(self.state),
            "attempts": self.attempts,
            "failures": self.failures,
            "rescues": self.rescues,
            "max_attempts": self.max_attempts,
            "reason": self.reason,
            "force": self.force,
            "force_why": self.force_why,
            "hop": self.hop,
            "outcome": self.outcome,
            "last_reason": self.last_reason,
            "worker": self.lease_owner,
            "upto_seq": self.upto_seq,
            "run_after": iso(self.run_after),
            "created_at": iso(self.created_at),
            "claimed_at": iso(self.claimed_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "updated_at": iso(self.updated_at),
        }


@dataclass(frozen=True)
class Attempt:
    id: int
    job_id: str
    attempt: int
    worker: str | None
    hop: str
    outcome: str
    reason: str
    detail: str | None
    trace_id: str
    started_at: float
    finished_at: float

    @classmethod
    def from_row(cls, row: Row) -> Attempt:
        return cls(
            int(row["id"]),
            row["job_id"],
            int(row["attempt"]),
            row["worker"],
            row["hop"],
            row["outcome"],
            row["reason"],
            row["detail"],
            row["trace_id"],
            row["started_at"],
            row["finished_at"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "job_id": self.job_id,
            "attempt": self.attempt,
            "worker": self.worker,
            "hop": self.hop,
            "outcome": self.outcome,
            "reason": self.reason,
            "detail": self.detail,
            "trace_id": self.trace_id,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
        }


@dataclass(frozen=True)
class Lease:
    """A claimed job and the token that proves the claim is still ours."""

    job: TriggerJob
    token: str
    worker: str


def record_attempt(
    tx: Tx,
    lease: Lease,
    hop: str,
    outcome: str,
    reason: str,
    detail: str | None,
    started_at: float,
) -> None:
    """One row of trigger_attempts: how one try of the leased job ended (or one hop of it)."""
    tx.run(
        "trigger_attempt_insert",
        job_id=lease.job.id,
        attempt=lease.job.attempts,
        worker=lease.worker,
        hop=hop,
        outcome=outcome,
        reason=reason,
        detail=detail,
        trace_id=lease.job.trace_id,
        started_at=started_at,
    )


class Action(StrEnum):
    ENQUEUED = "enqueued"
    FALLBACK_REQUIRED = "fallback_required"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Envelope:
    """What `trigger_participant` answers, in the CLI, the MCP server and the web API."""

    action: Action
    reason: str
    job_id: str | None = None
    trace_id: str | None = None
    message: str = ""
    hint: str = ""
    existing: bool = False  # the request matched a pending job, which is returned

    def to_json(self) -> dict[str, Any]:
        return {
            "action": str(self.action),
            "reason": self.reason,
            "job_id": self.job_id,
            "trace_id": self.trace_id,
            "message": self.message,
            "hint": self.hint,
            "existing": self.existing,
        }
