"""The trigger job queue: enqueue idempotently, claim with a lease, end every attempt with a
recorded outcome, retry with backoff, go dead when attempts are used up, rescue the jobs of
workers that stopped heartbeating, requeue on request.

Every write that ends a claimed attempt is fenced by the lease token: a worker whose job was
rescued (and maybe claimed again elsewhere) cannot complete, fail or defer it any more.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bosun.base.errors import Conflict
from bosun.base.ids import short_id
from bosun.store.listener import CHANNEL
from bosun.store.protocol import Store, Tx
from bosun.triggers.jobs import JobState, TriggerJob, pending_key
from bosun.triggers.policies.backoff import RetryConfig, decide_retry
from bosun.triggers.queue_reads import QueueReads

Extra = Callable[[Tx], None]


@dataclass(frozen=True)
class QueueConfig:
    retry: RetryConfig = RetryConfig()
    max_rescues: int = 3
    lease: float = 300.0
    worker_stale_after: float = 30.0

    @classmethod
    def from_settings(cls, get: Callable[[str], Any]) -> QueueConfig:
        return cls(
            retry=RetryConfig(
                int(get("triggers.max_attempts")),
                float(get("triggers.retry_base")),
                float(get("triggers.retry_cap")),
                float(get("triggers.retry_jitter")),
            ),
            max_rescues=int(get("triggers.max_rescues")),
            lease=float(get("triggers.lease")),
            worker_stale_after=float(get("triggers.worker_stale_after")),
        )


@dataclass(frozen=True)
class Lease:
    """A claimed job and the token that proves the claim is still ours."""

    job: TriggerJob
    token: str
    worker: str


class _Fenced(Exception):
    pass


class TriggerQueue(QueueReads):
    def __init__(
        self, store: Store, config: QueueConfig | None = None, rng: random.Random | None = None
    ) -> None:
        self.store = store
        self.config = config or QueueConfig()
        self.rng = rng or random.Random()

    # -- enqueue --------------------------------------------------------------------------

    def enqueue_in(
        self,
        tx: Tx,
        *,
        thread_id: str,
        role: str,
        name: str,
        requested_by: str,
        trace_id: str,
        reason: str | None = None,
        force_why: str | None = None,
        upto_seq: int = 0,
        state: JobState = JobState.QUEUED,
        outcome: str | None = None,
    ) -> tuple[TriggerJob, bool]:
        """Insert a job, or return the pending one for the same thread and target."""
        key = pending_key(thread_id, role, name)
        terminal = state != JobState.QUEUED
        for _ in range(10):
            if not terminal:
                existing = tx.one("trigger_job_pending", pending_key=key)
                if existing is not None:
                    return TriggerJob.from_row(existing), False
            job_id = short_id("tj", 5)
            inserted = tx.run(
                "trigger_job_insert",
                id=job_id,
                thread_id=thread_id,
                target_role=role,
                target_name=name,
                requested_by=requested_by,
                reason=reason,
                force=int(force_why is not None),
                force_why=force_why,
                trace_id=trace_id,
                state=str(state),
                pending_key=None if terminal else key,
                max_attempts=self.config.retry.max_attempts,
                run_after=tx.now,
                upto_seq=upto_seq,
                hop=None,
                outcome=outcome,
                last_reason=outcome,
                finished_at=tx.now if terminal else None,
            )
            if inserted:
                row = tx.one("trigger_job_get", id=job_id)
                assert row is not None
                job = TriggerJob.from_row(row)
                tx.emit(
                    f"trigger.{'enqueued' if not terminal else state}",
                    job.target,
                    {
                        "job": job.id,
                        "thread": thread_id,
                        "trace_id": trace_id,
                        "requested_by": requested_by,
                        "reason": reason,
                        "forced": force_why is not None,
                        "outcome": outcome,
                    },
                )
                if force_why is not None:
                    tx.emit(
                        "trigger.forced",
                        job.target,
                        {"job": job.id, "why": force_why, "by": requested_by, "trace_id": trace_id},
                    )
                if not terminal:
                    tx.run("trigger_notify", channel=CHANNEL)
                return job, True
        raise Conflict("could not enqueue the trigger (id clash)", "try again")

    # -- claim ----------------------------------------------------------------------------

    def claim(self, worker: str, n: int = 1) -> list[Lease]:
        token = secrets.token_hex(8)
        # a claim records no transition: a crash may forget it, and the job is claimed again
        with self.store.transaction(durable=False) as tx:
            rows = tx.all("trigger_claim", worker=worker, token=token, n=n, lease=self.config.lease)
        jobs = sorted((TriggerJob.from_row(r) for r in rows), key=lambda j: (j.run_after, j.id))
        return [Lease(job, token, worker) for job in jobs]

    # -- ending an attempt (fenced) -------------------------------------------------------

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

    def release(self, lease: Lease) -> bool:
        """Give back a claimed job that was never started (graceful shutdown)."""
        with self.store.transaction() as tx:
            return bool(tx.run("trigger_release", id=lease.job.id, token=lease.token))

    def store_now(self) -> float:
        with self.store.transaction(write=False) as tx:
            return tx.now

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
        job = lease.job
        try:
            with self.store.transaction() as tx:
                if not tx.run(
                    "trigger_finish",
                    id=job.id,
                    token=lease.token,
                    state=str(state),
                    hop=hop,
                    outcome=detail or reason,
                    reason=reason,
                    failures=job.failures if failures is None else failures,
                    started_at=started_at,
                ):
                    raise _Fenced
                self._attempt(tx, lease, hop, outcome, reason, detail, started_at)
                if extra is not None:
                    extra(tx)
                tx.emit(
                    f"trigger.{state}",
                    job.target,
                    {
                        "job": job.id,
                        "thread": job.thread_id,
                        "hop": hop,
                        "reason": reason,
                        "detail": detail,
                        "trace_id": job.trace_id,
                        "attempt": job.attempts,
                    },
                )
            return True
        except _Fenced:
            self._record_fenced(lease, hop, outcome, reason, started_at)
            return False

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
        job = lease.job
        try:
            with self.store.transaction() as tx:
                if not tx.run(
                    "trigger_reschedule",
                    id=job.id,
                    token=lease.token,
                    state=str(state),
                    run_after=run_after,
                    deferred_since=deferred_since,
                    failures=failures,
                    reason=reason,
                    hop=hop,
                    started_at=started_at,
                ):
                    raise _Fenced
                self._attempt(tx, lease, hop, outcome, reason, detail, started_at)
                if extra is not None:
                    extra(tx)
                if outcome != "deferred" or job.deferred_since is None:
                    tx.emit(
                        f"trigger.{outcome}",
                        job.target,
                        {
                            "job": job.id,
                            "hop": hop,
                            "reason": reason,
                            "detail": detail,
                            "run_after": run_after,
                            "failures": failures,
                            "trace_id": job.trace_id,
                        },
                    )
            return True
        except _Fenced:
            self._record_fenced(lease, hop, outcome, reason, started_at)
            return False

    def _attempt(
        self,
        tx: Tx,
        lease: Lease,
        hop: str,
        outcome: str,
        reason: str,
        detail: str | None,
        started_at: float,
    ) -> None:
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
            self._attempt(tx, lease, hop, outcome, reason, detail, started_at)

    def _record_fenced(
        self, lease: Lease, hop: str, outcome: str, reason: str, started_at: float
    ) -> None:
        with self.store.transaction() as tx:
            self._attempt(
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

    # -- rescue ---------------------------------------------------------------------------

    def rescue(self, limit: int = 500) -> list[str]:
        """Jobs running under a worker that stopped heartbeating (or past their lease): back
        to retry with the rescue counted, or dead once rescues or attempts are used up."""
        rescued: list[str] = []
        with self.store.transaction() as tx:
            cutoff = tx.now - self.config.worker_stale_after
            tx.run("trigger_workers_mark_lost", cutoff=cutoff)
            for row in tx.all("trigger_rescue_candidates", cutoff=cutoff, limit=limit):
                job = TriggerJob.from_row(row)
                expires = row["lease_expires_at"]
                why = "lease_expired" if expires is not None and expires < tx.now else "worker_lost"
                exhausted = (
                    job.rescues + 1 > self.config.max_rescues or job.failures >= job.max_attempts
                )
                state = JobState.DEAD if exhausted else JobState.RETRY
                lost = "stopped heartbeating" if why == "worker_lost" else "held it past its lease"
                detail = (
                    f"worker {job.lease_owner} {lost} (rescue "
                    f"{job.rescues + 1} of {self.config.max_rescues})"
                )
                if not tx.run(
                    "trigger_rescue_one",
                    id=job.id,
                    token=job.lease_token,
                    state=str(state),
                    reason=why,
                    finished_at=tx.now if exhausted else None,
                    outcome=detail if exhausted else None,
                ):
                    continue
                lease = Lease(job, job.lease_token or "", job.lease_owner or "")
                self._attempt(
                    tx, lease, job.hop or "claim", "rescued", why, detail, job.claimed_at or tx.now
                )
                tx.emit(
                    "trigger.rescued",
                    job.target,
                    {
                        "job": job.id,
                        "worker": job.lease_owner,
                        "state": str(state),
                        "rescues": job.rescues + 1,
                        "trace_id": job.trace_id,
                    },
                )
                rescued.append(job.id)
        return rescued
