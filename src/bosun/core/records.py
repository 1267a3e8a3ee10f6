"""Typed records of the core domain, their statuses and the transitions between them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from bosun.base.clock import iso
from bosun.base.errors import IllegalTransition


class IdentityStatus(StrEnum):
    ACTIVE = "active"
    STALE = "stale"
    CRASHED = "crashed"
    TERMINATED = "terminated"
    QUARANTINED = "quarantined"
    HANDED_OFF = "handed_off"


class Phase(StrEnum):
    ASSIGNED = "assigned"
    EXECUTING = "executing"
    IMPL_COMPLETE = "impl_complete"
    VALIDATING = "validating"
    MERGE_READY = "merge_ready"
    MERGED = "merged"
    RELEASED = "released"
    BLOCKED = "blocked"


class WorkStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    IMPL_COMPLETE = "impl_complete"
    MERGE_READY = "merge_ready"
    MERGED = "merged"
    CLOSED = "closed"
    REJECTED = "rejected"
    MERGE_CONFLICT = "merge_conflict"


S, P, W = IdentityStatus, Phase, WorkStatus

IDENTITY_TRANSITIONS: dict[IdentityStatus, frozenset[IdentityStatus]] = {
    S.ACTIVE: frozenset({S.STALE, S.CRASHED, S.TERMINATED, S.QUARANTINED, S.HANDED_OFF}),
    S.STALE: frozenset({S.ACTIVE, S.CRASHED, S.TERMINATED, S.QUARANTINED, S.HANDED_OFF}),
    S.CRASHED: frozenset({S.ACTIVE, S.TERMINATED, S.QUARANTINED}),
    S.HANDED_OFF: frozenset({S.ACTIVE, S.CRASHED, S.TERMINATED, S.QUARANTINED}),
    S.QUARANTINED: frozenset({S.ACTIVE, S.TERMINATED}),
    S.TERMINATED: frozenset({S.ACTIVE}),  # only by re-creating (a new incarnation)
}

_OPEN_PHASES = {P.ASSIGNED, P.EXECUTING, P.IMPL_COMPLETE, P.VALIDATING, P.MERGE_READY}
PHASE_TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    P.ASSIGNED: frozenset({P.EXECUTING, P.BLOCKED, P.RELEASED}),
    P.EXECUTING: frozenset({P.IMPL_COMPLETE, P.MERGE_READY, P.BLOCKED, P.RELEASED}),
    P.IMPL_COMPLETE: frozenset({P.VALIDATING, P.MERGE_READY, P.EXECUTING, P.BLOCKED, P.RELEASED}),
    P.VALIDATING: frozenset({P.MERGE_READY, P.MERGED, P.EXECUTING, P.BLOCKED, P.RELEASED}),
    P.MERGE_READY: frozenset({P.MERGED, P.EXECUTING, P.BLOCKED, P.RELEASED}),
    P.MERGED: frozenset({P.RELEASED}),
    P.BLOCKED: frozenset(_OPEN_PHASES | {P.RELEASED}),
    P.RELEASED: frozenset(),
}
UNFINISHED_PHASES = frozenset(_OPEN_PHASES | {P.BLOCKED})

WORK_TRANSITIONS: dict[WorkStatus, frozenset[WorkStatus]] = {
    W.OPEN: frozenset({W.IN_PROGRESS, W.REJECTED, W.CLOSED}),
    W.IN_PROGRESS: frozenset({W.IMPL_COMPLETE, W.MERGE_READY, W.OPEN, W.REJECTED}),
    W.IMPL_COMPLETE: frozenset({W.MERGE_READY, W.IN_PROGRESS, W.REJECTED}),
    W.MERGE_READY: frozenset({W.MERGED, W.MERGE_CONFLICT, W.IN_PROGRESS, W.REJECTED}),
    W.MERGE_CONFLICT: frozenset({W.IN_PROGRESS, W.MERGE_READY, W.REJECTED}),
    W.MERGED: frozenset({W.CLOSED}),
    W.REJECTED: frozenset({W.OPEN}),
    W.CLOSED: frozenset(),
}


def check_transition(
    table: dict[Any, frozenset[Any]], what: str, old: StrEnum, new: StrEnum
) -> None:
    if new not in table[old]:
        allowed = ", ".join(sorted(str(s) for s in table[old])) or "none (it is final)"
        raise IllegalTransition(
            f"{what} cannot go from {old} to {new}", f"from {old} it can go to: {allowed}"
        )


def transition_path(
    table: dict[Any, frozenset[Any]], start: Any, goal: Any, avoid: frozenset[Any] = frozenset()
) -> list[Any] | None:
    """The shortest legal walk from `start` to `goal` (excluding `start`) that passes through
    no state in `avoid` on the way; None when there is none."""
    paths: list[list[Any]] = [[start]]
    seen = {start}
    while paths:
        grown = []
        for path in paths:
            if path[-1] == goal:
                return path[1:]
            if path[-1] in avoid and len(path) > 1:
                continue
            for nxt in sorted(table[path[-1]], key=str):
                if nxt not in seen:
                    seen.add(nxt)
                    grown.append([*path, nxt])
        paths = grown
    return None


def _json(value: str | None, default: Any) -> Any:
    return json.loads(value) if value else default


@dataclass(frozen=True)
class Identity:
    role: str
    name: str
    status: IdentityStatus
    incarnation: int
    created_at: float
    last_seen: float
    updated_at: float
    session_id: str | None = None
    runtime: str | None = None
    worktree: str | None = None
    initiative: str | None = None
    host: str | None = None
    pid: int | None = None
    crew: bool = False
    status_reason: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.role}/{self.name}"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Identity:
        return cls(
            role=row["role"],
            name=row["name"],
            status=IdentityStatus(row["status"]),
            incarnation=int(row["incarnation"]),
            created_at=row["created_at"],
            last_seen=row["last_seen"],
            updated_at=row["updated_at"],
            session_id=row["session_id"],
            runtime=row["runtime"],
            worktree=row["worktree"],
            initiative=row["initiative"],
            host=row["host"],
            pid=row["pid"],
            crew=bool(row["crew"]),
            status_reason=row["status_reason"],
        )

    def to_json(self, now: float) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        data["identity"] = self.ref
        data["last_seen_age_s"] = round(max(0.0, now - self.last_seen), 3)
        for key in ("created_at", "last_seen", "updated_at"):
            data[key] = iso(data[key])
        return data


@dataclass(frozen=True)
class PhaseChange:
    phase: Phase
    at: float
    old: Phase | None = None


@dataclass(frozen=True)
class Hook:
    role: str
    name: str
    work_id: str
    phase: Phase
    pinned_at: float
    updated_at: float
    summary: str | None = None
    checkpoint_note: str | None = None
    checkpoint_at: float | None = None
    resumption: str | None = None
    history: tuple[PhaseChange, ...] = field(default_factory=tuple)

    @property
    def unfinished(self) -> bool:
        return self.phase in UNFINISHED_PHASES

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Hook:
        history = tuple(
            PhaseChange(Phase(h["phase"]), h["at"], Phase(h["old"]) if h.get("old") else None)
            for h in _json(row["phase_history"], [])
        )
        return cls(
            role=row["role"],
            name=row["name"],
            work_id=row["work_id"],
            phase=Phase(row["phase"]),
            pinned_at=row["pinned_at"],
            updated_at=row["updated_at"],
            summary=row["summary"],
            checkpoint_note=row["checkpoint_note"],
            checkpoint_at=row["checkpoint_at"],
            resumption=row["resumption"],
            history=history,
        )

    def history_json(self) -> str:
        return json.dumps(
            [{"phase": str(h.phase), "at": h.at, "old": h.old and str(h.old)} for h in self.history]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": f"{self.role}/{self.name}",
            "role": self.role,
            "name": self.name,
            "work_id": self.work_id,
            "phase": str(self.phase),
            "summary": self.summary,
            "checkpoint_note": self.checkpoint_note,
            "checkpoint_at": iso(self.checkpoint_at),
            "resumption": self.resumption,
            "pinned_at": iso(self.pinned_at),
            "updated_at": iso(self.updated_at),
            "unfinished": self.unfinished,
            "history": [
                {"phase": str(h.phase), "old": h.old and str(h.old), "at": iso(h.at)}
                for h in self.history
            ],
        }


@dataclass(frozen=True)
class WorkItem:
    id: str
    title: str
    body: str
    priority: int
    status: WorkStatus
    wisp: bool
    created_at: float
    updated_at: float
    expires_at: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> WorkItem:
        return cls(
            id=row["id"],
            title=row["title"],
            body=row["body"],
            priority=int(row["priority"]),
            status=WorkStatus(row["status"]),
            wisp=bool(row["wisp"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            expires_at=row["expires_at"],
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        for key in ("created_at", "updated_at", "expires_at"):
            data[key] = iso(data[key])
        return data


@dataclass(frozen=True)
class Signal:
    id: str
    to: str
    type: str
    payload: dict[str, Any]
    created_at: float
    sender: str | None = None
    acked_at: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Signal:
        return cls(
            id=row["id"],
            to=f"{row['to_role']}/{row['to_name']}",
            type=row["type"],
            payload=_json(row["payload"], {}),
            created_at=row["created_at"],
            sender=f"{row['from_role']}/{row['from_name']}" if row["from_role"] else None,
            acked_at=row["acked_at"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "to": self.to,
            "from": self.sender,
            "type": self.type,
            "payload": self.payload,
            "created_at": iso(self.created_at),
            "acked_at": iso(self.acked_at),
            "unread": self.acked_at is None,
        }


@dataclass(frozen=True)
class Event:
    id: int
    ts: float
    kind: str
    subject: str
    data: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        return cls(int(row["id"]), row["ts"], row["kind"], row["subject"], _json(row["data"], {}))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": iso(self.ts),
            "kind": self.kind,
            "subject": self.subject,
            "data": self.data,
        }
