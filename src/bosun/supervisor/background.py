"""Loops the supervisor hosts beside its tick, each in its own thread with its own store
connection (a merge queue's gates can take minutes; the tick must not wait for them).

The supervisor knows none of the engines it hosts: the caller (the CLI) builds the list of
`BackgroundLoop`s — a `StepLoop` for an engine that runs one step at a time, a `WorkerLoop`
for one that runs until stopped — and passes it in, as Temporal's `Worker(activities=[…])`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bosun.base.errors import BosunError

if TYPE_CHECKING:
    from bosun.core.context import Context

logger = logging.getLogger("bosun.supervisor")
ContextOpener = Callable[[], "Context"]


class LoopThread(Protocol):
    """A running loop: its guard name, its last error, and the thread controls."""

    @property
    def engine(self) -> str: ...

    @property
    def error(self) -> str | None: ...

    def start(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...

    def is_alive(self) -> bool: ...


class BackgroundLoop(Protocol):
    """One engine's loop, as the caller hands it to the supervisor."""

    @property
    def name(self) -> str: ...

    def thread(
        self, open_ctx: ContextOpener, stopping: threading.Event, tick_interval: float
    ) -> LoopThread: ...


class Worker(Protocol):
    """An engine that runs until it is stopped (the trigger worker)."""

    def run(self) -> object: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class StepLoop:
    """Run `step(ctx)` every tick interval, or every `every` seconds when that is shorter."""

    name: str
    step: Callable[[Context], object]
    every: float | None = None

    def thread(
        self, open_ctx: ContextOpener, stopping: threading.Event, tick_interval: float
    ) -> LoopThread:
        interval = tick_interval if self.every is None else min(tick_interval, self.every)
        return BackgroundEngine(self.name, open_ctx, self.step, interval, stopping)


@dataclass(frozen=True)
class WorkerLoop:
    """Build a `Worker` on the loop's own context and run it until the supervisor stops."""

    name: str
    build: Callable[[Context], Worker]
    label: str  # for the thread name and the log ("trigger-worker")

    def thread(
        self, open_ctx: ContextOpener, stopping: threading.Event, tick_interval: float
    ) -> LoopThread:
        return WorkerThread(self, open_ctx, stopping)


class BackgroundEngine(threading.Thread):
    """Runs `step(ctx)` every `interval` seconds until stopped; records its health."""

    def __init__(
        self,
        name: str,
        open_ctx: ContextOpener,
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


class WorkerThread(threading.Thread):
    """A `WorkerLoop`'s worker on its own store connection; stopped with the supervisor."""

    def __init__(self, loop: WorkerLoop, open_ctx: ContextOpener, stopping: threading.Event):
        super().__init__(name=f"bosun-{loop.label}", daemon=True)
        self.engine = loop.name
        self.loop = loop
        self.open_ctx = open_ctx
        self.stopping = stopping
        self.error: str | None = None

    def run(self) -> None:
        label = self.loop.label.replace("-", " ")
        ctx = self.open_ctx()
        try:
            worker = self.loop.build(ctx)
            stopper = threading.Thread(target=self._stop_when_asked, args=(worker,), daemon=True)
            stopper.start()
            worker.run()
        except BosunError as exc:
            self.error = exc.message
            logger.warning("%s: %s", label, exc.message)
        except Exception as exc:  # noqa: BLE001 - an engine must not die silently
            self.error = f"{type(exc).__name__}: {exc}"
            logger.exception("%s crashed", label)
        finally:
            ctx.close()

    def _stop_when_asked(self, worker: Worker) -> None:
        self.stopping.wait()
        worker.stop()
