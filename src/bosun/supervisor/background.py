"""Loops the supervisor hosts beside its tick, each in its own thread with its own store
connection (a merge queue's gates can take minutes; the tick must not wait for them).

The supervisor knows none of the engines it hosts: the caller (the CLI) builds the list of
`BackgroundLoop`s — a `StepLoop` for an engine that runs one step at a time, a `WorkerLoop`
for one that runs until stopped — and passes it in, as Temporal's `Worker(activities=[…])`.

No loop dies of an error: a failed step, a worker that crashes or returns, a store that
cannot be opened — each is retried after a `LoopBackoff` delay, and while a loop is down its
`error` says so (the supervisor reports it as the loop's guard, shown by `bosun status`).
"""

from __future__ import annotations

import logging
import threading
import time
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
class LoopBackoff:
    """When a loop that failed runs again: `base` seconds after the first failure, doubling
    up to `cap`; a run that lasted `healthy_after` seconds resets the count. Pure."""

    base: float = 1.0
    cap: float = 60.0
    healthy_after: float = 300.0

    def next_delay(self, failures: int) -> float:
        """The wait before the next attempt after `failures` consecutive failures (>= 1)."""
        return float(min(self.cap, self.base * 2 ** max(0, min(failures - 1, 30))))

    def failures_after(self, failures: int, started: float, failed: float) -> int:
        """The consecutive-failure count after a run from `started` that failed at `failed`."""
        return 1 if failed - started >= self.healthy_after else failures + 1

    @staticmethod
    def down_message(error: str, failures: int, delay: float) -> str:
        return f"down after {failures} failure(s), restarting in {delay:g}s: {error}"


@dataclass(frozen=True)
class StepLoop:
    """Run `step(ctx)` every tick interval, or every `every` seconds when that is shorter."""

    name: str
    step: Callable[[Context], object]
    every: float | None = None
    backoff: LoopBackoff = LoopBackoff()

    def thread(
        self, open_ctx: ContextOpener, stopping: threading.Event, tick_interval: float
    ) -> LoopThread:
        interval = tick_interval if self.every is None else min(tick_interval, self.every)
        return BackgroundEngine(
            self.name, open_ctx, self.step, interval, stopping, backoff=self.backoff
        )


@dataclass(frozen=True)
class WorkerLoop:
    """Build a `Worker` on the loop's own context and run it until the supervisor stops."""

    name: str
    build: Callable[[Context], Worker]
    label: str  # for the thread name and the log ("trigger-worker")
    backoff: LoopBackoff = LoopBackoff()

    def thread(
        self, open_ctx: ContextOpener, stopping: threading.Event, tick_interval: float
    ) -> LoopThread:
        return WorkerThread(self, open_ctx, stopping)


def _describe(exc: Exception) -> str:
    return exc.message if isinstance(exc, BosunError) else f"{type(exc).__name__}: {exc}"


class _Restarting(threading.Thread):
    """Runs `_attempt()` until the supervisor stops, again after each failure with backoff."""

    engine: str
    stopping: threading.Event
    backoff: LoopBackoff
    error: str | None

    def __init__(self, name: str, monotonic: Callable[[], float]) -> None:
        super().__init__(name=name, daemon=True)
        self.monotonic = monotonic
        self.failures = 0

    def _attempt(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        while not self.stopping.is_set():
            started = self.monotonic()
            try:
                self._attempt()
                if self.stopping.is_set():
                    return
                problem = "stopped by itself"
            except Exception as exc:  # noqa: BLE001 - an engine must not die silently
                problem = _describe(exc)
                if not isinstance(exc, BosunError):
                    logger.exception("%s crashed", self.engine)
            self.failures = self.backoff.failures_after(self.failures, started, self.monotonic())
            delay = self.backoff.next_delay(self.failures)
            self.error = self.backoff.down_message(problem, self.failures, delay)
            logger.warning("%s: %s", self.engine, self.error)
            self.stopping.wait(delay)


class BackgroundEngine(_Restarting):
    """Runs `step(ctx)` every `interval` seconds until stopped; records its health. A failing
    step waits the longer of the interval and the backoff before the next one."""

    def __init__(
        self,
        name: str,
        open_ctx: ContextOpener,
        step: Callable[[Context], object],
        interval: float,
        stopping: threading.Event,
        *,
        backoff: LoopBackoff | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(f"bosun-{name}", monotonic)
        self.engine = name
        self.open_ctx = open_ctx
        self.step = step
        self.interval = interval
        self.stopping = stopping
        self.backoff = backoff or LoopBackoff()
        self.error: str | None = None
        self.last_run: float | None = None

    def _attempt(self) -> None:
        ctx = self.open_ctx()
        try:
            step_failures = 0
            while not self.stopping.is_set():
                wait = self.interval
                try:
                    self.step(ctx)
                    self.error = None
                    step_failures = 0
                except Exception as exc:  # noqa: BLE001 - an engine must not die silently
                    step_failures += 1
                    self.error = _describe(exc)
                    if isinstance(exc, BosunError):
                        logger.warning("%s: %s", self.engine, exc.message)
                    else:
                        logger.exception("%s crashed a step", self.engine)
                    wait = max(wait, self.backoff.next_delay(step_failures))
                self.last_run = ctx.clock.now()
                self.stopping.wait(wait)
        finally:
            ctx.close()


class WorkerThread(_Restarting):
    """A `WorkerLoop`'s worker on its own store connection; stopped with the supervisor and
    built and run again (on a fresh connection) after it crashes."""

    def __init__(
        self,
        loop: WorkerLoop,
        open_ctx: ContextOpener,
        stopping: threading.Event,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(f"bosun-{loop.label}", monotonic)
        self.engine = loop.name
        self.loop = loop
        self.open_ctx = open_ctx
        self.stopping = stopping
        self.backoff = loop.backoff
        self.error: str | None = None

    def _attempt(self) -> None:
        ctx = self.open_ctx()
        try:
            worker = self.loop.build(ctx)
            done = threading.Event()
            stopper = threading.Thread(
                target=self._stop_when_asked, args=(worker, done), daemon=True
            )
            stopper.start()
            if self.failures:
                logger.info("%s restarted", self.loop.label.replace("-", " "))
            self.error = None
            try:
                worker.run()
            finally:
                done.set()
        finally:
            ctx.close()

    def _stop_when_asked(self, worker: Worker, done: threading.Event) -> None:
        while not done.is_set():
            if self.stopping.wait(0.2):
                worker.stop()
                return
