"""Merge requests: their record, statuses and the transitions between them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bosun.base.clock import iso
from bosun.base.errors import IllegalTransition

QUEUE_IDENTITY = "refinery/merge-queue"


class RequestStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # `require_approval`: held until `bosun mr approve`
    QUEUED = "queued"
    TESTING = "testing"
    MERGED = "merged"
    CONFLICT = "conflict"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # `bosun mr reject`: handed back to its owner with the reason


R = RequestStatus
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    R.AWAITING_APPROVAL: frozenset({R.QUEUED, R.REJECTED, R.CANCELLED}),
    R.QUEUED: frozenset({R.TESTING, R.CANCELLED}),
    # back to queued: not tested (bisection leftovers, target moved, processor crashed)
    R.TESTING: frozenset({R.QUEUED, R.MERGED, R.CONFLICT, R.FAILED}),
    # retry: queued again, or awaiting approval again under `require_approval`
    R.CONFLICT: frozenset({R.QUEUED, R.AWAITING_APPROVAL}),
    R.FAILED: frozenset({R.QUEUED, R.AWAITING_APPROVAL}),
    R.CANCELLED: frozenset({R.QUEUED, R.AWAITING_APPROVAL}),
    R.REJECTED: frozenset({R.QUEUED, R.AWAITING_APPROVAL}),
    R.MERGED: frozenset(),
}
FINISHED = frozenset({R.MERGED, R.CONFLICT, R.FAILED, R.CANCELLED, R.REJECTED})
# A branch has at most one request in these (the store's unique index says the same).
ACTIVE = frozenset({R.AWAITING_APPROVAL, R.QUEUED, R.TESTING})


def check_request_transition(request_id: str, old: RequestStatus, new: RequestStatus) -> None:
    if new not in TRANSITIONS[old]:
        allowed = ", ".join(sorted(TRANSITIONS[old])) or "none (it is final)"
        raise IllegalTransition(
            f"merge request {request_id} cannot go from {old} to {new}",
            f"from {old} it can go to: {allowed}",
        )


@dataclass(frozen=True)
class MergeRequest:
    id: str
    seq: int
    branch: str
    target: str
    status: RequestStatus
    created_at: float
    updated_at: float
    identity: str | None = None
    work_id: str | None = None
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    head: str | None = None  # the branch tip this request is about
    base: str | None = None  # the target tip its candidate was built on
    candidate: str | None = None  # the commit that contains it, as built and tested
    landed: str | None = None  # the target tip it landed in
    batch_id: str | None = None
    attempts: int = 0
    enqueued_by: str | None = None
    finished_at: float | None = None

    @property
    def approved_head(self) -> str | None:
        """The commit a reviewer approved (`bosun mr approve`): exactly what may land."""
        approval = self.detail.get("approval")
        head = approval.get("head") if isinstance(approval, dict) else None
        return str(head) if head else None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MergeRequest:
        return cls(
            id=row["id"],
            seq=int(row["seq"]),
            branch=row["branch"],
            target=row["target"],
            status=RequestStatus(row["status"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            identity=row["identity"],
            work_id=row["work_id"],
            reason=row["reason"],
            detail=json.loads(row["detail"] or "{}"),
            head=row["head"],
            base=row["base"],
            candidate=row["candidate"],
            landed=row["landed"],
            batch_id=row["batch_id"],
            attempts=int(row["attempts"]),
            enqueued_by=row["enqueued_by"],
            finished_at=row["finished_at"],
        )

    def columns(self) -> dict[str, Any]:
        """The mutable columns, as `mq_update` takes them."""
        return {
            "status": str(self.status),
            "reason": self.reason,
            "detail": json.dumps(self.detail, sort_keys=True, default=str),
            "head": self.head,
            "base": self.base,
            "candidate": self.candidate,
            "landed": self.landed,
            "batch_id": self.batch_id,
            "attempts": self.attempts,
            "finished_at": self.finished_at,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "branch": self.branch,
            "target": self.target,
            "status": str(self.status),
            "reason": self.reason,
            "detail": self.detail,
            "identity": self.identity,
            "work_id": self.work_id,
            "head": self.head,
            "base": self.base,
            "candidate": self.candidate,
            "landed": self.landed,
            "batch_id": self.batch_id,
            "attempts": self.attempts,
            "enqueued_by": self.enqueued_by,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "finished_at": iso(self.finished_at),
        }
