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


def sentinel_step(ctx: Context) -> object:
    """Follow every open commitment through and type the nudges (`[sentinel] enabled`)."""
    from bosun.sentinel.service import Sentinel

    return Sentinel(ctx).patrol()


class TriggerEngine(threading.Thread):
    """The trigger worker (`bosun triggers work`) inside the supervisor, on its own store
    connection; stopped with the supervisor."""

    engine = "trigger_workers"

    def __init__(self, open_ctx: Callable[[], Context], stopping: threading.Event) -> None:
        super().__init__(name="bosun-trigger-worker", daemon=True)
        self.open_ctx = open_ctx
        self.stopping = stopping
        self.error: str | None = None
        self._worker: object | None = None

    def run(self) -> None:
        from bosun.agents.driver import project_fleet
        from bosun.triggers.engine import build_worker
        from bosun.triggers.fleet_seams import fleet_seams

        ctx = self.open_ctx()
        try:
            seams = fleet_seams(project_fleet(ctx)) if ctx.paths is not None else None
            worker = build_worker(ctx, seams, log=lambda line: logger.info("triggers: %s", line))
            self._worker = worker
            stopper = threading.Thread(target=self._stop_when_asked, args=(worker,), daemon=True)
            stopper.start()
            worker.run()
        except BosunError as exc:
            self.error = exc.message
            logger.warning("trigger worker: %s", exc.message)
        except Exception as exc:  # noqa: BLE001 - an engine must not die silently
            self.error = f"{type(exc).__name__}: {exc}"
            logger.exception("trigger worker crashed")
        finally:
            ctx.close()

    def _stop_when_asked(self, worker: object) -> None:
        self.stopping.wait()
        worker.stop()  # type: ignore[attr-defined]
