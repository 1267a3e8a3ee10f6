"""Engines the supervisor runs beside its tick, each in its own thread with its own store
connection: the merge queue (gates can take minutes; the tick must not wait for them)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bosun.base.errors import BosunError

if TYPE_CHECKING:
    from bosun.core.context import Context

logger = logging.getLogger("bosun.supervisor")


class BackgroundEngine(threading.Thread):
    """Runs `step(ctx)` every `interval` seconds until stopped; records its health."""

    def __init__(
        self,
        name: str,
        open_ctx: Callable[[], Context],
        step: Callable[[Context], object],
        interval: float,
        stopping: threading.Event,
    ) -> None:
        super().__init__(name=f"bosun-{name}", daemon=True)
        self.engine = name
        self.open_ctx = open_ctx
        self.step = step
        self.interval = interval
        self.stopping = stopping
        self.error: str | None = None
        self.last_run: float | None = None

    def run(self) -> None:
        ctx = self.open_ctx()
        try:
            while not self.stopping.is_set():
                try:
                    self.step(ctx)
                    self.error = None
                except BosunError as exc:
                    self.error = exc.message
                    logger.warning("%s: %s", self.engine, exc.message)
                except Exception as exc:  # noqa: BLE001 - an engine must not die silently
                    self.error = f"{type(exc).__name__}: {exc}"
                    logger.exception("%s crashed a step", self.engine)
                self.last_run = ctx.clock.now()
                self.stopping.wait(self.interval)
        finally:
            ctx.close()


def merge_queue_step(ctx: Context) -> object:
    from bosun.mergequeue.processor import process

    return process(ctx, None, until_empty=True)
