"""The resume queue as a service: the policies of `policies/resume.py` over the store.

Entries live in the `resume_queue` table, so they survive supervisor restarts; every change
is one transaction with its event (`resume.*`). The engine calls, per tick:

    queue.recover_after_restart()        once at start: STARTING entries count as failed
    queue.consider(ending)               when a session ended mid-work
    entry = queue.next_revival(facts)    at most one entry to revive (now STARTING)
    queue.record_result(entry.id, ok)    after spawning and checking the session

`facts(entry)` does the I/O of drain-time validation (is a session live, does the
worktree exist…) outside any transaction.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.base.errors import Conflict, NotFound
from bosun.base.ids import short_id
from bosun.base.names import check_text, split_identity
from bosun.supervisor.breaker import resume_breaker
from bosun.supervisor.policies.resume import (
    OPEN_STATUSES,
    DrainFacts,
    EnqueueDecision,
    EntryStatus,
    ResumeConfig,
    ResumeEntry,
    SessionEnding,
    after_attempt,
    consider_enqueue,
    invalid_reason,
    plan_drain,
    stable_key,
)
from bosun.supervisor.recovery_log import RESUME_STRATEGY
from bosun.supervisor.resume_entries import entry_from_row, parse_status
from bosun.supervisor.typed_settings import validate_supervisor_config

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx

RESUME_CONDITION = "ended_mid_work"
_KEEP: Any = object()


class ResumeQueue:
    def __init__(self, ctx: Context, config: ResumeConfig | None = None) -> None:
        self.ctx = ctx
        if config is None:
            config = validate_supervisor_config(ctx.config).resume
        self.config = config

    # -- reads ----------------------------------------------------------------------------

    def list(self, status: str | None = None) -> list[ResumeEntry]:
        if status is not None:
            status = str(parse_status(status))
        with self.ctx.store.transaction(write=False) as tx:
            return [entry_from_row(r) for r in tx.all("resume_list", status=status)]

    def get(self, entry_id: str) -> ResumeEntry:
        with self.ctx.store.transaction(write=False) as tx:
            return self._get(tx, entry_id)

    def summary(self) -> dict[str, Any]:
        """Counts by status and the breaker, for `bosun status` and the guard's detail."""
        with self.ctx.store.transaction(write=False) as tx:
            counts: dict[str, int] = {}
            for row in tx.all("resume_list", status=None):
                counts[row["status"]] = counts.get(row["status"], 0) + 1
            breaker = resume_breaker(tx, self.config)
        return {
            "counts": counts,
            "breaker_open": breaker.open,
            "consecutive_failures": breaker.failures,
            "breaker_until": iso(breaker.until),
        }

    # -- enqueue --------------------------------------------------------------------------

    def consider(self, ending: SessionEnding) -> tuple[EnqueueDecision, ResumeEntry | None]:
        with self.ctx.store.transaction() as tx:
            return self.consider_in(tx, ending)

    def consider_in(
        self, tx: Tx, ending: SessionEnding
    ) -> tuple[EnqueueDecision, ResumeEntry | None]:
        """Queue `ending` for revival when the policy says so; the decision is an event."""
        role, name = split_identity(ending.identity)
        open_row = tx.one("resume_open_for", stable_key=stable_key(ending.identity))
        open_entry = entry_from_row(open_row) if open_row else None
        revivals = [
            float(r["revived_at"])
            for r in tx.all(
                "resume_revivals",
                role=role,
                name=name,
                since=tx.now - self.config.resurrection_window,
            )
        ]
        decision = consider_enqueue(ending, open_entry, revivals, tx.now, self.config)
        data = {
            "cause": str(ending.cause),
            "reason": decision.reason,
            "work_id": ending.work_id,
            "evidence": ending.evidence,
        }
        if not decision.enqueue:
            tx.emit("resume.skipped", ending.identity, data)
            return decision, None
        if ending.worktree is not None:
            check_text(ending.worktree, "worktree", 4096)
        entry_id = short_id("rq", 4)
        tx.run(
            "resume_insert",
            id=entry_id,
            stable_key=stable_key(ending.identity),
            role=role,
            name=name,
            cause=str(ending.cause),
            work_id=ending.work_id,
            worktree=ending.worktree,
            evidence=json.dumps(ending.evidence, sort_keys=True, default=str),
            expires_at=tx.now + self.config.entry_ttl,
        )
        tx.emit("resume.enqueued", ending.identity, {"entry": entry_id, **data})
        return decision, self._get(tx, entry_id)

    # -- operator actions -----------------------------------------------------------------

    def cancel(self, entry_id: str, reason: str = "cancelled by an operator") -> ResumeEntry:
        with self.ctx.store.transaction() as tx:
            entry = self._get(tx, entry_id)
            new = entry.move(EntryStatus.CANCELLED, tx.now, reason=check_text(reason, "reason"))
            self._save(tx, entry, new)
            # A revival in flight is handed to the person who cancelled it.
            self._settle_pending(tx, entry_id, "escalated", reason)
            tx.emit("resume.cancelled", entry.identity, {"entry": entry_id, "reason": reason})
            return new

    def requeue(self, entry_id: str) -> ResumeEntry:
        """Put a cancelled, invalidated or given-up entry back in the queue: attempts reset,
        a fresh TTL. Refused while the identity has another open entry."""
        with self.ctx.store.transaction() as tx:
            entry = self._get(tx, entry_id)
            if entry.status not in OPEN_STATUSES:
                other = tx.one("resume_open_for", stable_key=entry.key)
                if other is not None:
                    raise Conflict(
                        f"{entry.identity} already has open entry {other['id']}",
                        f"cancel it first with `bosun resume-queue cancel {other['id']}`",
                    )
            new = entry.move(
                EntryStatus.QUEUED,
                tx.now,
                attempts=0,
                next_attempt_at=tx.now,
                reason=None,
                last_error=None,
            )
            # A fresh TTL and no dry-run note (not policy fields, so written here).
            self._save(tx, entry, new, expires_at=tx.now + self.config.entry_ttl, dry_run_at=None)
            tx.emit(
                "resume.requeued",
                entry.identity,
                {"entry": entry_id, "old_status": str(entry.status)},
            )
            return self._get(tx, entry_id)

    # -- the drain ------------------------------------------------------------------------

    def recover_after_restart(self) -> builtins.list[ResumeEntry]:
        """Entries left STARTING by a supervisor that died count as failed attempts."""
        recovered = []
        with self.ctx.store.transaction() as tx:
            for row in tx.all("resume_list", status=str(EntryStatus.STARTING)):
                entry = entry_from_row(row)
                error = "the supervisor restarted during the revival"
                new = after_attempt(entry, False, tx.now, self.config, error)
                self._save(tx, entry, new)
                self._settle_pending(tx, entry.id, "failure", error)
                tx.emit(
                    "resume.attempt_failed",
                    entry.identity,
                    {"entry": entry.id, "error": error, "status": str(new.status)},
                )
                recovered.append(new)
        return recovered

    def next_revival(self, facts: Callable[[ResumeEntry], DrainFacts]) -> ResumeEntry | None:
        """Expire old entries and return at most one entry to revive now (marked STARTING,
        its attempt counted). Entries failing drain-time validation are invalidated."""
        with self.ctx.store.transaction() as tx:
            entries = [
                entry_from_row(r) for r in tx.all("resume_list", status=str(EntryStatus.QUEUED))
            ]
            breaker = resume_breaker(tx, self.config)
            plan = plan_drain(entries, breaker, tx.now, self.config)
            for entry in plan.expired:
                self._save(
                    tx,
                    entry,
                    entry.move(
                        EntryStatus.GAVE_UP, tx.now, reason="expired before it could be revived"
                    ),
                )
                tx.emit("resume.gave_up", entry.identity, {"entry": entry.id, "reason": "expired"})
            noted = {
                r["id"]
                for r in tx.all("resume_list", status=str(EntryStatus.QUEUED))
                if r["dry_run_at"] is not None
            }
        for candidate in plan.candidates:
            if self.config.dry_run and candidate.id in noted:
                continue
            found = facts(candidate)  # I/O, outside any transaction
            with self.ctx.store.transaction() as tx:
                row = tx.one("resume_get", id=candidate.id)
                if row is None or row["status"] != EntryStatus.QUEUED:
                    continue
                entry = entry_from_row(row)
                reason = invalid_reason(entry, found)
                if reason:
                    self._save(
                        tx, entry, entry.move(EntryStatus.INVALIDATED, tx.now, reason=reason)
                    )
                    tx.emit(
                        "resume.invalidated", entry.identity, {"entry": entry.id, "reason": reason}
                    )
                    continue
                if self.config.dry_run:
                    self._save(tx, entry, entry, dry_run_at=tx.now)
                    tx.emit(
                        "resume.would_revive", entry.identity, {"entry": entry.id, "dry_run": True}
                    )
                    return None
                starting = entry.move(
                    EntryStatus.STARTING,
                    tx.now,
                    attempts=entry.attempts + 1,
                    last_attempt_at=tx.now,
                )
                self._save(tx, entry, starting)
                role, name = split_identity(entry.identity)
                tx.run(
                    "recovery_attempt_insert",
                    role=role,
                    name=name,
                    condition=RESUME_CONDITION,
                    strategy=RESUME_STRATEGY,
                    rung=starting.attempts - 1,
                    outcome="pending",
                    detected_at=entry.created_at,
                    evidence=json.dumps(entry.evidence),
                    detail=None,
                    entry_id=entry.id,
                )
                tx.emit(
                    "resume.starting",
                    entry.identity,
                    {"entry": entry.id, "attempt": starting.attempts},
                )
                return starting
        return None

    def record_result(
        self, entry_id: str, succeeded: bool, error: str | None = None
    ) -> ResumeEntry:
        """The revival of a STARTING entry worked (REVIVED) or failed (retry or give up)."""
        with self.ctx.store.transaction() as tx:
            entry = self._get(tx, entry_id)
            if entry.status != EntryStatus.STARTING:
                raise Conflict(
                    f"resume entry {entry_id} is {entry.status}, not starting",
                    "record a result only for the entry next_revival returned",
                )
            new = after_attempt(entry, succeeded, tx.now, self.config, error)
            self._save(tx, entry, new)
            self._settle_pending(tx, entry_id, "success" if succeeded else "failure", error)
            kind = (
                "resume.revived"
                if succeeded
                else (
                    "resume.gave_up"
                    if new.status == EntryStatus.GAVE_UP
                    else "resume.attempt_failed"
                )
            )
            tx.emit(
                kind,
                entry.identity,
                {
                    "entry": entry_id,
                    "attempt": entry.attempts,
                    "error": error,
                    "status": str(new.status),
                },
            )
            return new

    # -- helpers --------------------------------------------------------------------------

    def _get(self, tx: Tx, entry_id: str) -> ResumeEntry:
        row = tx.one("resume_get", id=entry_id)
        if row is None:
            raise NotFound(
                f"no resume-queue entry {entry_id!r}", "list entries with `bosun resume-queue list`"
            )
        return entry_from_row(row)

    def _save(
        self,
        tx: Tx,
        old: ResumeEntry,
        new: ResumeEntry,
        *,
        expires_at: float | None = None,
        dry_run_at: Any = _KEEP,
    ) -> None:
        """Write `new` over `old` (compare-and-swap on the status)."""
        if dry_run_at is _KEEP:
            row = tx.one("resume_get", id=old.id)
            assert row is not None
            dry_run_at = row["dry_run_at"]
        changed = tx.run(
            "resume_update",
            id=old.id,
            old_status=str(old.status),
            status=str(new.status),
            attempts=new.attempts,
            next_attempt_at=new.next_attempt_at,
            last_attempt_at=new.last_attempt_at,
            last_error=new.last_error,
            reason=new.reason,
            revived_at=new.revived_at,
            dry_run_at=dry_run_at,
        )
        if not changed:
            raise Conflict(
                f"resume entry {old.id} changed concurrently",
                "re-read it with `bosun resume-queue list`",
            )
        if expires_at is not None:
            tx.run("resume_set_expiry", id=old.id, expires_at=expires_at)

    def _settle_pending(self, tx: Tx, entry_id: str, outcome: str, detail: str | None) -> None:
        for row in tx.all("recovery_attempt_for_entry", entry_id=entry_id):
            tx.run("recovery_attempt_settle", id=row["id"], outcome=outcome, detail=detail)
