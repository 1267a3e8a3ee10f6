"""Persisted state of (thread, participant) pairs: loop-safeguard counters, the block, and the
sequence last triggered for (what makes reconciliation idempotent)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bosun.base.clock import iso
from bosun.store.protocol import Row, Tx
from bosun.triggers.policies.loops import PairState


@dataclass(frozen=True)
class PairRecord:
    thread_id: str
    role: str
    name: str
    state: PairState
    triggered_seq: int
    blocked_at: float | None
    updated_at: float

    @property
    def target(self) -> str:
        return f"{self.role}/{self.name}"

    @classmethod
    def from_row(cls, row: Row) -> PairRecord:
        state = PairState(
            turns=int(row["turns"]),
            fingerprint=row["fingerprint"],
            finding=row["finding"],
            finding_seq=int(row["finding_seq"]),
            same_findings=int(row["same_findings"]),
            blocked=bool(row["blocked"]),
            blocked_reason=row["blocked_reason"],
        )
        return cls(
            row["thread_id"],
            row["target_role"],
            row["target_name"],
            state,
            int(row["triggered_seq"]),
            row["blocked_at"],
            row["updated_at"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "participant": self.target,
            "blocked": self.state.blocked,
            "reason": self.state.blocked_reason,
            "turns_without_progress": self.state.turns,
            "same_findings": self.state.same_findings,
            "finding": self.state.finding,
            "triggered_seq": self.triggered_seq,
            "blocked_at": iso(self.blocked_at),
            "updated_at": iso(self.updated_at),
        }


def load_pair(tx: Tx, thread_id: str, role: str, name: str) -> PairRecord:
    """The pair's record, created empty on first use (and locked on PostgreSQL)."""
    tx.run("trigger_pair_ensure", thread_id=thread_id, role=role, name=name)
    row = tx.one("trigger_pair_get", thread_id=thread_id, role=role, name=name)
    assert row is not None
    return PairRecord.from_row(row)


def save_pair(
    tx: Tx, record: PairRecord, state: PairState | None = None, triggered_seq: int | None = None
) -> PairRecord:
    new_state = state or record.state
    blocked_at = record.blocked_at
    if new_state.blocked and not record.state.blocked:
        blocked_at = tx.now
    elif not new_state.blocked:
        blocked_at = None
    seq = (
        record.triggered_seq if triggered_seq is None else max(record.triggered_seq, triggered_seq)
    )
    tx.run(
        "trigger_pair_save",
        thread_id=record.thread_id,
        role=record.role,
        name=record.name,
        turns=new_state.turns,
        fingerprint=new_state.fingerprint,
        finding=new_state.finding,
        finding_seq=new_state.finding_seq,
        same_findings=new_state.same_findings,
        blocked=int(new_state.blocked),
        blocked_reason=new_state.blocked_reason,
        blocked_at=blocked_at,
        triggered_seq=seq,
    )
    return replace(
        record, state=new_state, triggered_seq=seq, blocked_at=blocked_at, updated_at=tx.now
    )


def blocked_pairs(tx: Tx) -> list[PairRecord]:
    return [PairRecord.from_row(r) for r in tx.all("trigger_pairs_blocked")]


def all_pairs(tx: Tx) -> list[PairRecord]:
    return [PairRecord.from_row(r) for r in tx.all("trigger_pairs_all")]
