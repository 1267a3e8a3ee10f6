"""Assembling a trigger worker from a project context (for the CLI and `bosun supervise`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bosun.store.listener import Listener
from bosun.store.open import open_store
from bosun.triggers.delivery import Seams, no_runtime_seams
from bosun.triggers.reconcile import reconcile_tick
from bosun.triggers.trigger import queue_for
from bosun.triggers.wake import WakeProcessor
from bosun.triggers.worker import Processor, TriggerWorker, Waiter, WorkerConfig

if TYPE_CHECKING:
    from bosun.core.context import Context


def build_worker(
    ctx: Context,
    seams: Seams | None = None,
    *,
    processor: Processor | None = None,
    listen: bool = True,
    log: Callable[[str], None] | None = None,
) -> TriggerWorker:
    """A worker on `ctx`'s store: the wake processor over `seams` (the caller's, e.g.
    `fleet_seams(project_fleet(ctx))`; without them every hop fails honestly), woken by
    LISTEN/NOTIFY on PostgreSQL."""
    queue = queue_for(ctx)
    if processor is None:
        processor = WakeProcessor(ctx, seams or no_runtime_seams())
    waiter: Waiter | None = None
    url = getattr(ctx.store, "url", None)
    if listen and ctx.store.dialect == "postgres" and url:
        waiter = Listener(url)
    reconcile: Callable[[], int] | None = None
    if ctx.config.flag("triggers.auto_wake"):

        def reconcile() -> int:
            return len(reconcile_tick(ctx, queue).enqueued)

    beats = open_store(ctx.paths, ctx.config, ctx.clock) if ctx.paths is not None else None
    return TriggerWorker(
        queue,
        processor,
        WorkerConfig.from_settings(ctx.config.get),
        waiter=waiter,
        reconcile=reconcile,
        clock=ctx.clock,
        log=log,
        heartbeat_store=beats,
        close_heartbeat_store=True,
    )
