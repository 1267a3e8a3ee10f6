"""Rescuing the trigger jobs of workers that stopped heartbeating (or held a job past its
lease): back to retry with the rescue counted, or dead once rescues or attempts are used up.
Kept apart from claiming and ending attempts in `queue.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bosun.store.protocol import Store
from bosun.triggers.jobs import JobState, Lease, TriggerJob, record_attempt

if TYPE_CHECKING:
    from bosun.triggers.queue import QueueConfig


class QueueRescue:
    store: Store
    config: QueueConfig

    def _gave_up(self, job_id: str) -> None: ...  # QueueOutcomes: escalate a dead job

    def rescue(self, limit: int = 500) -> list[str]:
        """Jobs running under a worker that stopped heartbeating (or past their lease): back
        to retry with the rescue counted, or dead once rescues or attempts are used up."""
        rescued: list[str] = []
        dead: list[str] = []
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
                record_attempt(
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
                if exhausted:
                    dead.append(job.id)
        for job_id in dead:
            self._gave_up(job_id)
        return rescued
