"""Ending a claimed trigger attempt: complete, fail (retry after backoff, or dead), defer,
finish in a chosen state. Every such write is fenced by the lease token (`_fenced`): a
worker whose job was rescued (and maybe claimed again elsewhere) cannot complete, fail or
defer it any more; the attempt it lost is recorded instead.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bosun.base.errors import BosunError
from bosun.store.protocol import Store, Tx
from bosun.triggers.jobs import JobState, Lease, record_attempt
from bosun.triggers.policies.backoff import decide_retry

if TYPE_CHECKING:
    from bosun.triggers.queue import QueueConfig

Extra = Callable[[Tx], None]
GaveUp = Callable[[str], None]  # called with a job id once it ended dead or escalated


class QueueOutcomes:
    store: Store
    config: QueueConfig
    rng: random.Random
    on_gave_up: GaveUp | None

    def _gave_up(self, job_id: str) -> None:
        """Tell the caller a job gave up (after its transaction committed). A failure to
        escalate leaves the job as it is: `bosun status` still lists it from its state."""
        if self.on_gave_up is None:
            return
        with contextlib.suppress(BosunError):
            self.on_gave_up(job_id)

    def complete(
        self,
        lease: Lease,
        *,
        hop: str,
        reason: str,
        started_at: float,
        detail: str | None = None,
        extra: Extra | None = None,
    ) -> bool:
        return self._end(
            lease,
            JobState.COMPLETED,
            hop=hop,
            outcome="completed",
            reason=reason,
            detail=detail,
            started_at=started_at,
            extra=extra,
        )

    def complete_many(
        self, leases: list[Lease], *, hop: str, reason: str, started_at: float
    ) -> int:
        """Complete a claimed batch in one transaction (one commit, one event per job);
        jobs whose lease was lost are left alone. Returns how many were completed."""
        if not leases:
            return 0
        by_token: dict[str, list[str]] = {}
        for lease in leases:
            by_token.setdefault(lease.token, []).append(lease.job.id)
        done = 0
        with self.store.transaction() as tx:
            for token, ids in by_token.items():
                rows = tx.all(
                    "trigger_complete_many",
                    token=token,
                    ids=json.dumps(ids),
                    hop=hop,
                    reason=reason,
                    started_at=started_at,
                )
                if not rows:
                    continue
                tx.run(
                    "trigger_attempts_many",
                    ids=json.dumps([r["id"] for r in rows]),
                    worker=leases[0].worker,
                    hop=hop,
                    reason=reason,
                    started_at=started_at,
                )
                for row in rows:
                    tx.emit(
                        "trigger.completed",
                        f"{row['target_role']}/{row['target_name']}",
                        {
                            "job": row["id"],
                            "thread": row["thread_id"],
                            "hop": hop,
                            "reason": reason,
                            "trace_id": row["trace_id"],
                            "attempt": row["attempts"],
                        },
                    )
                done += len(rows)
        return done

    def finish(
        self,
        lease: Lease,
        state: JobState,
        *,
        hop: str,
        reason: str,
        started_at: float,
        detail: str | None = None,
        extra: Extra | None = None,
    ) -> bool:
        """End in a terminal state chosen by the caller (escalated, blocked, cancelled, dead)."""
        return self._end(
            lease,
            state,
            hop=hop,
            outcome=str(state),
            reason=reason,
            detail=detail,
            started_at=started_at,
            extra=extra,
        )

    def fail(
        self,
        lease: Lease,
        *,
        hop: str,
        reason: str,
        started_at: float,
        detail: str | None = None,
        retryable: bool = True,
        extra: Extra | None = None,
    ) -> JobState | None:
        """A failed attempt: retry after backoff, or dead. None when the lease was lost."""
        failures = lease.job.failures + 1
        decision = decide_retry(
            failures=failures,
            now=self.store_now(),
            config=self.config.retry,
            rng=self.rng,
            retryable=retryable,
        )
        if decision.retry:
            assert decision.run_after is not None
            ok = self._reschedule(
                lease,
                JobState.RETRY,
                run_after=decision.run_after,
                deferred_since=None,
                failures=failures,
                hop=hop,
                outcome="failed",
                reason=reason,
                detail=detail,
                started_at=started_at,
                extra=extra,
            )
            return JobState.RETRY if ok else None
        final = f"{reason} ({decision.reason} after {failures} failed attempts)"
        ok = self._end(
            lease,
            JobState.DEAD,
            hop=hop,
            outcome="failed",
            reason=reason,
            detail=detail if detail else final,
            started_at=started_at,
            extra=extra,
            failures=failures,
        )
        return JobState.DEAD if ok else None

    def defer(
        self,
        lease: Lease,
        *,
        run_after: float,
        hop: str,
        reason: str,
        started_at: float,
        deferred_since: float | None = None,
        detail: str | None = None,
        extra: Extra | None = None,
    ) -> bool:
        """Not a failure: try again at `run_after` (collision window, rate limit)."""
        return self._reschedule(
            lease,
            JobState.QUEUED,
            run_after=run_after,
            deferred_since=deferred_since,
            failures=lease.job.failures,
            hop=hop,
            outcome="deferred",
            reason=reason,
            detail=detail,
            started_at=started_at,
            extra=extra,
        )

    def store_now(self) -> float:
        with self.store.transaction(write=False) as tx:
            return tx.now

    def record_hop(
        self,
        lease: Lease,
        *,
        hop: str,
        outcome: str,
        reason: str,
        started_at: float,
        detail: str | None = None,
    ) -> None:
        """An intermediate hop of the fallback chain (the job keeps running)."""
        with self.store.transaction() as tx:
            record_attempt(tx, lease, hop, outcome, reason, detail, started_at)

    def _end(
        self,
        lease: Lease,
        state: JobState,
        *,
        hop: str,
        outcome: str,
        reason: str,
        detail: str | None,
        started_at: float,
        extra: Extra | None,
        failures: int | None = None,
    ) -> bool:
        """The attempt ends the job in `state` (completed, dead, escalated…)."""
        job = lease.job
        update = {
            "state": str(state),
            "outcome": detail or reason,
            "failures": job.failures if failures is None else failures,
        }
        event = {
            "job": job.id,
            "thread": job.thread_id,
            "hop": hop,
            "reason": reason,
            "detail": detail,
            "trace_id": job.trace_id,
            "attempt": job.attempts,
        }
        ended = self._fenced(
            lease,
            ("trigger_finish", update),
            (f"trigger.{state}", event),
            hop=hop,
            outcome=outcome,
            reason=reason,
            detail=detail,
            started_at=started_at,
            extra=extra,
        )
        if ended and state in (JobState.DEAD, JobState.ESCALATED):
            self._gave_up(job.id)
        return ended

    def _reschedule(
        self,
        lease: Lease,
        state: JobState,
        *,
        run_after: float,
        deferred_since: float | None,
        failures: int,
        hop: str,
        outcome: str,
        reason: str,
        detail: str | None,
        started_at: float,
        extra: Extra | None,
    ) -> bool:
        """The job runs again at `run_after` (a retry after a failure, or a deferral); a
        deferral that continues an earlier one records no second event."""
        job = lease.job
        update = {
            "state": str(state),
            "run_after": run_after,
            "deferred_since": deferred_since,
            "failures": failures,
        }
        event = {
            "job": job.id,
            "hop": hop,
            "reason": reason,
            "detail": detail,
            "run_after": run_after,
            "failures": failures,
            "trace_id": job.trace_id,
        }
        quiet = outcome == "deferred" and job.deferred_since is not None
        return self._fenced(
            lease,
            ("trigger_reschedule", update),
            None if quiet else (f"trigger.{outcome}", event),
            hop=hop,
            outcome=outcome,
            reason=reason,
            detail=detail,
            started_at=started_at,
            extra=extra,
        )

    def _fenced(
        self,
        lease: Lease,
        update: tuple[str, dict[str, Any]],
        event: tuple[str, dict[str, Any]] | None,
        *,
        hop: str,
        outcome: str,
        reason: str,
        detail: str | None,
        started_at: float,
        extra: Extra | None,
    ) -> bool:
        """End the attempt in one transaction: the job's row (only while `lease.token` still
        holds it), the attempt, the caller's `extra` writes and the event. A lost lease
        changes nothing but records that it was lost; returns False then."""
        query, params = update
        with self.store.transaction() as tx:
            fenced_off = not tx.run(
                query,
                id=lease.job.id,
                token=lease.token,
                hop=hop,
                reason=reason,
                started_at=started_at,
                **params,
            )
            if not fenced_off:
                record_attempt(tx, lease, hop, outcome, reason, detail, started_at)
                if extra is not None:
                    extra(tx)
                if event is not None:
                    tx.emit(event[0], lease.job.target, event[1])
        if fenced_off:
            self._record_fenced(lease, hop, outcome, reason, started_at)
            return False
        return True

    def _record_fenced(
        self, lease: Lease, hop: str, outcome: str, reason: str, started_at: float
    ) -> None:
        with self.store.transaction() as tx:
            record_attempt(
                tx,
                lease,
                hop,
                "lost_lease",
                "lease_lost",
                f"the lease was lost before recording {outcome} ({reason})",
                started_at,
            )
            tx.emit(
                "trigger.fenced",
                lease.job.target,
                {
                    "job": lease.job.id,
                    "worker": lease.worker,
                    "would_be": outcome,
                    "trace_id": lease.job.trace_id,
                },
            )
