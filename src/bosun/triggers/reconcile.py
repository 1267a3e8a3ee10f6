"""One unread-reconciliation tick: find participants with unread messages and enqueue triggers.

Runs in the worker loop when a thread notification arrives and every
`triggers.reconcile_interval` seconds as the polling fallback. Deterministic and idempotent:
a pair is triggered once per new message range (see `policies.unread`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bosun.core.threads import Threads
from bosun.triggers.jobs import Envelope
from bosun.triggers.pairs import all_pairs
from bosun.triggers.policies.unread import Pair, Skipped, reconcile_unread
from bosun.triggers.trigger import SYSTEM_CALLER, trigger_participant

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.triggers.queue import TriggerQueue


@dataclass(frozen=True)
class TickResult:
    enqueued: list[Envelope]
    skipped: list[Skipped]


def reconcile_tick(ctx: Context, queue: TriggerQueue | None = None) -> TickResult:
    views = Threads(ctx).views()
    with ctx.store.transaction(write=False) as tx:
        pairs = all_pairs(tx)
        pending: set[Pair] = {
            (r["thread_id"], r["target_role"], r["target_name"])
            for r in tx.all("trigger_pending_pairs")
        }
    due, skipped = reconcile_unread(
        views,
        project=ctx.config.text("threads.project"),
        triggered_seq={(p.thread_id, p.role, p.name): p.triggered_seq for p in pairs},
        pending=pending,
        blocked={(p.thread_id, p.role, p.name) for p in pairs if p.state.blocked},
        include_closed=ctx.config.flag("threads.include_closed"),
    )
    enqueued = [
        trigger_participant(
            ctx,
            target=work.target,
            thread_id=work.thread_id,
            reason=f"{work.unread} unread",
            queue=queue,
            on_behalf_of=SYSTEM_CALLER,
        )
        for work in due
    ]
    return TickResult(enqueued, skipped)
