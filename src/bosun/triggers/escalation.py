"""Trigger trouble is never silent: a job that ends dead (attempts, rescues or its TTL used
up) or escalated (every hop failed, or a quarantined target) sends an ESCALATION signal to
`bosun/operator` — as the supervisor's escalations do — which the notifiers turn into an
alert; and while it is the latest job of its (thread, target), `bosun status` lists it as
needing attention (so `bosun status --check` fails).

It stops needing attention when a later job for the same pair exists (a requeue, a new
message's trigger), the thread is closed, or the target is terminated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bosun.base.errors import NotFound
from bosun.core.records import IdentityStatus
from bosun.core.threads import Threads, ThreadStatus
from bosun.triggers.jobs import JobState, TriggerJob

if TYPE_CHECKING:
    from bosun.core.context import Context

OPERATOR = "bosun/operator"  # escalations are addressed to the people running the fleet
GAVE_UP = frozenset({JobState.DEAD, JobState.ESCALATED})


def escalate_job(ctx: Context, job: TriggerJob) -> None:
    """The ESCALATION signal for a job that gave up (and its `trigger.escalation_sent` event)."""
    role, name = OPERATOR.split("/")
    ctx.identities.create(role, name)
    ctx.signals.send(
        OPERATOR,
        "ESCALATION",
        {
            "identity": job.target,
            "reason": f"trigger job {job.id} {job.state}: {job.outcome or job.last_reason}",
            "condition": f"trigger_{job.state}",
            "evidence": {
                "job": job.id,
                "thread": job.thread_id,
                "state": str(job.state),
                "last_reason": job.last_reason,
            },
        },
    )


@dataclass(frozen=True)
class TriggerTrouble:
    job: TriggerJob

    def line(self) -> str:
        job = self.job
        what = "dead-lettered" if job.state == JobState.DEAD else "escalated"
        return (
            f"trigger {job.id} to {job.target} (thread {job.thread_id}) {what}: "
            f"{job.outcome or job.last_reason} — see `bosun triggers show {job.id}`, "
            f"retry with `bosun triggers requeue {job.id}`"
        )


def unresolved_trouble(ctx: Context, limit: int = 50) -> list[TriggerTrouble]:
    """Dead or escalated jobs nothing has resolved yet, oldest first."""
    with ctx.store.transaction(write=False) as tx:
        rows = tx.all("trigger_jobs_unresolved", limit=limit)
    threads = Threads(ctx)
    found = []
    for job in (TriggerJob.from_row(r) for r in rows):
        identity = ctx.identities.find(job.target_role, job.target_name)
        if identity is None or identity.status == IdentityStatus.TERMINATED:
            continue
        try:
            thread = threads.get(job.thread_id)
        except NotFound:
            continue
        if thread.status == ThreadStatus.CLOSED:
            continue
        found.append(TriggerTrouble(job))
    return found


def trigger_attention(ctx: Context) -> list[str]:
    """The `bosun status` attention lines for trigger trouble."""
    return [t.line() for t in unresolved_trouble(ctx)]
