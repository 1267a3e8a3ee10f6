"""Resume-queue entries as rows and as JSON (`bosun resume-queue list --json`, the
dashboard's panel)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.base.errors import InvalidInput
from bosun.supervisor.policies.resume import EndCause, EntryStatus, ResumeEntry

if TYPE_CHECKING:
    from bosun.store.protocol import Row


def entry_from_row(row: Row) -> ResumeEntry:
    return ResumeEntry(
        id=row["id"],
        identity=f"{row['role']}/{row['name']}",
        status=EntryStatus(row["status"]),
        cause=EndCause(row["cause"]),
        created_at=float(row["created_at"]),
        expires_at=float(row["expires_at"]),
        work_id=row["work_id"],
        worktree=row["worktree"],
        evidence=json.loads(row["evidence"] or "{}"),
        attempts=int(row["attempts"]),
        next_attempt_at=float(row["next_attempt_at"]),
        last_attempt_at=row["last_attempt_at"],
        last_error=row["last_error"],
        reason=row["reason"],
        revived_at=row["revived_at"],
        updated_at=float(row["updated_at"]),
    )


def entry_json(entry: ResumeEntry, now: float) -> dict[str, Any]:
    return {
        "id": entry.id,
        "identity": entry.identity,
        "status": str(entry.status),
        "cause": str(entry.cause),
        "work_id": entry.work_id,
        "worktree": entry.worktree,
        "evidence": entry.evidence,
        "attempts": entry.attempts,
        "reason": entry.reason,
        "last_error": entry.last_error,
        "created_at": iso(entry.created_at),
        "expires_at": iso(entry.expires_at),
        "expires_in_s": round(entry.expires_at - now, 3),
        "next_attempt_at": iso(entry.next_attempt_at),
        "last_attempt_at": iso(entry.last_attempt_at),
        "revived_at": iso(entry.revived_at),
        "updated_at": iso(entry.updated_at),
    }


def parse_status(value: str) -> EntryStatus:
    try:
        return EntryStatus(value)
    except ValueError:
        raise InvalidInput(
            f"unknown resume-queue status {value!r}",
            "use one of: " + ", ".join(s.value for s in EntryStatus),
        ) from None
