"""The trigger queue's reads and operator actions (requeue), kept apart from the claiming
and fencing machinery in `queue.py`."""

from __future__ import annotations

from bosun.base.errors import Conflict, IllegalTransition, NotFound
from bosun.store.listener import CHANNEL
from bosun.store.protocol import Store, Tx
from bosun.triggers.jobs import REQUEUEABLE, Attempt, JobState, TriggerJob, pending_key


class QueueReads:
    store: Store

    # -- operator actions -----------------------------------------------------------------

    def requeue(self, job_id: str, by: str) -> TriggerJob:
        with self.store.transaction() as tx:
            job = self.get_in(tx, job_id)
            if job.state not in REQUEUEABLE:
                raise IllegalTransition(
                    f"trigger job {job.id} is {job.state}; only dead, escalated, blocked or "
                    "cancelled jobs can be requeued",
                    "see `bosun triggers list --dead`",
                )
            key = pending_key(job.thread_id, job.target_role, job.target_name)
            other = tx.one("trigger_job_pending", pending_key=key)
            if other is not None:
                raise Conflict(
                    f"trigger job {other['id']} for the same thread and target is already pending",
                    "wait for it or inspect it with `bosun triggers list`",
                )
            tx.run("trigger_requeue", id=job.id, pending_key=key)
            tx.emit(
                "trigger.requeued",
                job.target,
                {"job": job.id, "by": by, "old_state": str(job.state), "trace_id": job.trace_id},
            )
            tx.run("trigger_notify", channel=CHANNEL)
            return self.get_in(tx, job.id)

    # -- reads ----------------------------------------------------------------------------

    def get(self, job_id: str) -> TriggerJob:
        with self.store.transaction(write=False) as tx:
            return self.get_in(tx, job_id)

    def get_in(self, tx: Tx, job_id: str) -> TriggerJob:
        row = tx.one("trigger_job_get", id=job_id)
        if row is None:
            raise NotFound(f"no trigger job {job_id!r}", "list jobs with `bosun triggers list`")
        return TriggerJob.from_row(row)

    def counts(self) -> dict[str, int]:
        with self.store.transaction(write=False) as tx:
            return {r["state"]: int(r["n"]) for r in tx.all("trigger_jobs_count")}

    def attempt_tally(self) -> dict[tuple[str, str], int]:
        """(job id, outcome) → number of attempts: how often each job ended each way."""
        with self.store.transaction(write=False) as tx:
            return {
                (r["job_id"], r["outcome"]): int(r["n"]) for r in tx.all("trigger_attempt_tally")
            }

    def attempts(self, job_id: str) -> list[Attempt]:
        with self.store.transaction(write=False) as tx:
            return [Attempt.from_row(r) for r in tx.all("trigger_attempts_for", job_id=job_id)]

    def list(self, state: JobState | None = None, limit: int = 100) -> list[TriggerJob]:
        with self.store.transaction(write=False) as tx:
            rows = tx.all(
                "trigger_jobs_list", state=None if state is None else str(state), limit=limit
            )
        return [TriggerJob.from_row(r) for r in rows]
