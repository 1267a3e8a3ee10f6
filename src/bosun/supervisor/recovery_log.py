"""Recording what the supervisor tried and how it went: ladder attempts and patrol nudges.

Every function takes the caller's transaction, so the row, the event and any other state
change of the same step commit together (principle 3). The engine's crash-safety protocol:

- a recovery attempt is recorded (pending) *before* its action runs and settled after
  verification; after a supervisor crash, pending attempts are still there to verify;
- a nudge is recorded (undelivered) before it is typed and marked delivered right after; a
  delivered nudge is never typed again, and one left undelivered by a crash is abandoned
  (`abandon_undelivered`) rather than typed twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.base.errors import Conflict, NotFound
from bosun.base.names import split_identity
from bosun.supervisor.policies.detect import Condition
from bosun.supervisor.policies.ladder import RESTARTING, Attempt, Outcome, Strategy
from bosun.supervisor.policies.patrol import Compliance, ComplianceResult
from bosun.supervisor.policies.restart import RestartRecord

if TYPE_CHECKING:
    from bosun.store.protocol import Row, Tx

RESUME_STRATEGY = "resume"  # resume-queue revivals share the attempts table


def attempt_from_row(row: Row) -> Attempt:
    return Attempt(
        identity=f"{row['role']}/{row['name']}",
        condition=Condition(row["condition"]),
        strategy=Strategy(row["strategy"]),
        started_at=float(row["started_at"]),
        outcome=Outcome(row["outcome"]),
        decided_at=row["decided_at"],
        rung=int(row["rung"]),
        id=int(row["id"]),
        detected_at=row["detected_at"],
    )


def begin_attempt(
    tx: Tx,
    identity: str,
    condition: Condition,
    strategy: Strategy,
    rung: int,
    *,
    detected_at: float | None = None,
    evidence: dict[str, Any] | None = None,
) -> Attempt:
    """Record a ladder rung as started (pending) at tx.now, with its event."""
    role, name = split_identity(identity)
    row = tx.one(
        "recovery_attempt_insert",
        role=role,
        name=name,
        condition=str(condition),
        strategy=str(strategy),
        rung=rung,
        outcome=str(Outcome.PENDING),
        detected_at=detected_at,
        evidence=json.dumps(evidence or {}, default=str),
        detail=None,
        entry_id=None,
    )
    assert row is not None
    tx.emit(
        "supervisor.recovery_started",
        identity,
        {
            "attempt": int(row["id"]),
            "condition": str(condition),
            "strategy": str(strategy),
            "rung": rung,
            "evidence": evidence or {},
        },
    )
    return Attempt(
        identity,
        condition,
        strategy,
        tx.now,
        Outcome.PENDING,
        None,
        rung,
        int(row["id"]),
        detected_at,
    )


def settle_attempt(tx: Tx, attempt_id: int, outcome: Outcome, detail: str | None = None) -> Attempt:
    """Record the verified outcome of a pending attempt (success / failure / escalated)."""
    row = tx.one("recovery_attempt_get", id=attempt_id)
    if row is None:
        raise NotFound(f"no recovery attempt {attempt_id}", "list them with `bosun status`")
    attempt = attempt_from_row(row).settle(outcome, tx.now)  # raises on an illegal transition
    if not tx.run("recovery_attempt_settle", id=attempt_id, outcome=str(outcome), detail=detail):
        raise Conflict(
            f"recovery attempt {attempt_id} was settled concurrently",
            "another supervisor settled it; re-read the attempt",
        )
    tx.emit(
        f"supervisor.recovery_{outcome}",
        attempt.identity,
        {
            "attempt": attempt_id,
            "condition": str(attempt.condition),
            "strategy": str(attempt.strategy),
            "rung": attempt.rung,
            "detail": detail,
            "took_s": round(tx.now - attempt.started_at, 3),
        },
    )
    return attempt


def attempt_history(tx: Tx, identity: str, since: float = 0.0) -> list[Attempt]:
    """The identity's ladder attempts (not resume revivals) since `since`, oldest first."""
    role, name = split_identity(identity)
    return [
        attempt_from_row(r)
        for r in tx.all("recovery_attempts_for", role=role, name=name, since=since)
        if r["strategy"] != RESUME_STRATEGY
    ]


def pending_attempts(tx: Tx) -> list[Attempt]:
    """Attempts awaiting verification (they survive a supervisor restart)."""
    return [
        attempt_from_row(r)
        for r in tx.all("recovery_attempts_pending")
        if r["strategy"] != RESUME_STRATEGY
    ]


def restart_history(tx: Tx, identity: str, since: float = 0.0) -> list[RestartRecord]:
    """The identity's restarts (seance restarts, context cycles, revivals) for RestartPolicy."""
    role, name = split_identity(identity)
    return [
        RestartRecord(
            crashed_at=float(r["detected_at"] if r["detected_at"] is not None else r["started_at"]),
            restarted_at=float(r["started_at"]),
            hook=_evidence(r).get("hook"),
        )
        for r in tx.all("recovery_attempts_for", role=role, name=name, since=since)
        if r["strategy"] in {*map(str, RESTARTING), RESUME_STRATEGY}
    ]


def _evidence(row: Row) -> dict[str, Any]:
    try:
        data = json.loads(row["evidence"] or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def last_detected(tx: Tx, identity: str, condition: Condition) -> float | None:
    """When `condition` was last detected for the identity (its `_detected` event)."""
    row = tx.one("event_last_for", subject=identity, kind=f"supervisor.{condition}_detected")
    return None if row is None else float(row["ts"])


# -- patrol nudges ------------------------------------------------------------------------


@dataclass(frozen=True)
class Nudge:
    id: int
    identity: str
    text: str
    created_at: float
    delivered: bool
    work_id: str | None = None
    phase: str | None = None
    delivered_at: float | None = None
    response: str = "pending"
    responded_at: float | None = None

    @classmethod
    def from_row(cls, row: Row) -> Nudge:
        return cls(
            id=int(row["id"]),
            identity=f"{row['role']}/{row['name']}",
            text=row["text"],
            created_at=float(row["created_at"]),
            delivered=bool(row["delivered"]),
            work_id=row["work_id"],
            phase=row["phase"],
            delivered_at=row["delivered_at"],
            response=row["response"],
            responded_at=row["responded_at"],
        )


def record_nudge(
    tx: Tx, identity: str, text: str, *, work_id: str | None = None, phase: str | None = None
) -> Nudge:
    """Record a nudge about to be typed (not yet delivered)."""
    role, name = split_identity(identity)
    row = tx.one("nudge_insert", role=role, name=name, work_id=work_id, phase=phase, text=text)
    assert row is not None
    return Nudge(int(row["id"]), identity, text, tx.now, False, work_id, phase)


def mark_delivered(tx: Tx, nudge_id: int) -> None:
    """The nudge was typed into the session: it is never typed again."""
    if not tx.run("nudge_mark_delivered", id=nudge_id):
        raise Conflict(
            f"nudge {nudge_id} is unknown or already delivered",
            "a delivered nudge is never re-sent",
        )
    row = tx.one("nudge_get", id=nudge_id)
    assert row is not None
    nudge = Nudge.from_row(row)
    tx.emit(
        "supervisor.patrol_nudged",
        nudge.identity,
        {"nudge": nudge_id, "text": nudge.text, "work_id": nudge.work_id, "phase": nudge.phase},
    )


def abandon_undelivered(tx: Tx) -> list[Nudge]:
    """After a restart: nudges recorded but never marked delivered are closed, not re-sent
    (the crash may have come after typing them); patrol decides afresh."""
    abandoned = [Nudge.from_row(r) for r in tx.all("nudges_undelivered")]
    for nudge in abandoned:
        tx.run("nudge_abandon", id=nudge.id)
        tx.emit(
            "supervisor.patrol_abandoned",
            nudge.identity,
            {
                "nudge": nudge.id,
                "reason": "recorded but not marked delivered before a "
                "supervisor restart; not re-sent",
            },
        )
    return abandoned


def last_patrol(tx: Tx, identity: str) -> float | None:
    """When the identity was last nudged: delivered nudges, and abandoned ones (which may
    have been typed before a crash), so patrol waits a full interval after either."""
    role, name = split_identity(identity)
    row = tx.one("nudge_last_patrol", role=role, name=name)
    return None if row is None or row["at"] is None else float(row["at"])


def nudges_since(tx: Tx, identity: str, since: float) -> int:
    """How many nudges were delivered to the identity after `since` (patrol's backoff)."""
    role, name = split_identity(identity)
    row = tx.one("nudge_count_since", role=role, name=name, since=since)
    return 0 if row is None else int(row["n"])


def record_ignored_nudge(tx: Tx, identity: str, nudge_id: int) -> None:
    """An ignored patrol nudge counts on the ladder: a failed `nudge` rung for `stale`, so
    the ladder's next rung for an agent that goes on ignoring is not one more nudge."""
    attempt = begin_attempt(
        tx, identity, Condition.STALE, Strategy.NUDGE, 0, evidence={"patrol_nudge": nudge_id}
    )
    assert attempt.id is not None
    settle_attempt(tx, attempt.id, Outcome.FAILURE, f"patrol nudge {nudge_id} ignored")


def awaiting_response(tx: Tx) -> list[Nudge]:
    return [Nudge.from_row(r) for r in tx.all("nudges_awaiting_response")]


def record_response(
    tx: Tx, nudge_id: int, result: ComplianceResult, patrol_log: Path | None = None
) -> None:
    """Close a delivered nudge with its response; the pair goes to the event log and, after
    commit, to `.bosun/logs/patrol.jsonl`."""
    if result.compliance == Compliance.PENDING:
        raise ValueError("a pending compliance result is not a response")
    row = tx.one("nudge_get", id=nudge_id)
    if row is None:
        raise NotFound(f"no nudge {nudge_id}", "nudges are listed in .bosun/logs/patrol.jsonl")
    nudge = Nudge.from_row(row)
    if not tx.run(
        "nudge_set_response",
        id=nudge_id,
        response=str(result.compliance),
        responded_at=result.at,
        evidence=json.dumps(result.evidence, sort_keys=True, default=str),
    ):
        raise Conflict(
            f"nudge {nudge_id} is undelivered or already answered", "each nudge gets one response"
        )
    pair = {
        "nudge": nudge_id,
        "identity": nudge.identity,
        "text": nudge.text,
        "work_id": nudge.work_id,
        "phase": nudge.phase,
        "nudged_at": iso(nudge.delivered_at),
        "response": str(result.compliance),
        "responded_at": iso(result.at),
        "evidence": result.evidence,
    }
    tx.emit(f"supervisor.patrol_{result.compliance}", nudge.identity, pair)
    if patrol_log is not None:
        tx.after_commit(lambda: append_jsonl(patrol_log, pair))


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line (one write, fsynced) to an audit log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
