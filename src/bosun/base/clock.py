"""Time is injected: everything that depends on time takes a `Clock`."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (wall clock; what is stored)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never goes backwards (for waiting)."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock for tests: it moves only when told to."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._mono = 0.0

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock never goes backwards")
        self._now += seconds
        self._mono += seconds


def iso(ts: float | None) -> str | None:
    """ISO-8601 UTC with milliseconds, or None."""
    if ts is None:
        return None
    if not -62135596800 < ts < 253402300800:  # outside years 1..9999: never crash a listing
        return "9999-12-31T23:59:59.999Z" if ts > 0 else "0001-01-01T00:00:00.000Z"
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
