"""PostgreSQL LISTEN/NOTIFY: the channels the trigger queue and threads notify, and a
listener that wakes a worker when they do.

psycopg costs ~200 ms to import, so it is imported only when a listener is opened.
"""

from __future__ import annotations

from typing import Any

CHANNEL = "bosun_triggers"
THREADS_CHANNEL = "bosun_threads"


class Listener:
    """PostgreSQL LISTEN on a dedicated autocommit connection; `wait` returns on a NOTIFY."""

    def __init__(self, url: str, channels: tuple[str, ...] = (CHANNEL, THREADS_CHANNEL)) -> None:
        import psycopg  # lazy: ~200 ms, only on PostgreSQL

        self._conn: Any = psycopg.connect(url, autocommit=True, connect_timeout=5)
        for channel in channels:
            self._conn.execute(f"LISTEN {channel}")

    def wait(self, timeout: float) -> bool:
        """True when at least one notification arrived within `timeout` seconds."""
        got = False
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            got = True
        if got:  # drain whatever else is queued without waiting
            for _ in self._conn.notifies(timeout=0.0):
                pass
        return got

    def close(self) -> None:
        self._conn.close()
