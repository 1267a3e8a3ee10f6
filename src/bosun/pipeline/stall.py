"""The stall watchdog's policy: a run is stalled when nothing showed work for `timeout`
seconds while no human gate held it.

Anything that shows work is progress: every progress event of the run, and what a node's
handler reports without an event (`HandlerContext.progress`) — for an agent node its screen
changing, its tool calls, its commits, its model requests and its checkpoints. The engine
feeds the watchdog and asks it, from its own thread, whether the run stalled.
"""

from __future__ import annotations

import threading

from bosun.base.clock import Clock


class StallWatchdog:
    def __init__(self, timeout: float, clock: Clock) -> None:
        self.timeout = timeout
        self.clock = clock
        self._lock = threading.Lock()
        self._last = clock.monotonic()
        self.last_source = "start"
        self._paused = 0

    def progress(self, source: str) -> None:
        """Something showed work (`source` says what: `event:<name>`, `screen`, `commit`…)."""
        with self._lock:
            self._last = self.clock.monotonic()
            self.last_source = source

    def pause(self) -> None:
        """A human gate waits: no stall while it does."""
        with self._lock:
            self._paused += 1

    def resume(self) -> None:
        """The gate was answered: the stall clock starts afresh."""
        with self._lock:
            self._paused = max(0, self._paused - 1)
            self._last = self.clock.monotonic()

    def idle(self) -> float:
        with self._lock:
            return 0.0 if self._paused else self.clock.monotonic() - self._last

    def stalled(self) -> float | None:
        """How long the run has shown no work, when that exceeds the timeout; else None."""
        idle = self.idle()
        return idle if idle > self.timeout else None
