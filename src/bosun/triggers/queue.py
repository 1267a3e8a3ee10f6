"""The trigger job queue: enqueue idempotently and claim with a lease, here; end every
attempt with a recorded outcome, fenced by the lease token, in `queue_outcomes.py`; rescue
the jobs of workers that stopped heartbeating in `queue_rescue.py`; reads and requeue in
`queue_reads.py`. `TriggerQueue` is all of them.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bosun.base.errors import Conflict
from bosun.base.ids import short_id
from bosun.store.listener import CHANNEL
from bosun.store.protocol import Store, Tx
from bosun.triggers.jobs import JobState, Lease, TriggerJob, pending_key
from bosun.triggers.policies.backoff import RetryConfig
from bosun.triggers.queue_outcomes import Extra, GaveUp, QueueOutcomes
from bosun.triggers.queue_reads import QueueReads
from bosun.triggers.queue_rescue import QueueRescue

__all__ = ["Extra", "Lease", "QueueConfig", "TriggerQueue"]


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


class TriggerQueue(QueueOutcomes, QueueRescue, QueueReads):
    def __init__(
        self,
        store: Store,
        config: QueueConfig | None = None,
        rng: random.Random | None = None,
        on_gave_up: GaveUp | None = None,
    ) -> None:
        """`on_gave_up(job_id)`: called once a job ended dead or escalated (committed)."""
        self.store = store
        self.config = config or QueueConfig()
        self.rng = rng or random.Random()
        self.on_gave_up = on_gave_up

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

    def release(self, lease: Lease) -> bool:
        """Give back a claimed job that was never started (graceful shutdown)."""
        with self.store.transaction() as tx:
            return bool(tx.run("trigger_release", id=lease.job.id, token=lease.token))
