"""Reading the event log: the audit trail and the live feed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bosun.core.records import Event

if TYPE_CHECKING:
    from bosun.core.context import Context


class Events:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def since(
        self,
        since: int = 0,
        kind: str | None = None,
        subject: str | None = None,
        limit: int = 1000,
    ) -> list[Event]:
        """Events after id `since`. A `kind` ending in '.' or '*' matches a prefix."""
        kind, prefix = _kind_filter(kind)
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.all(
                "events_since",
                since=since,
                kind=kind,
                kind_prefix=prefix,
                subject=subject,
                limit=limit,
            )
        return [Event.from_row(r) for r in rows]

    def tail(
        self, limit: int = 50, kind: str | None = None, subject: str | None = None
    ) -> list[Event]:
        kind, prefix = _kind_filter(kind)
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.all(
                "events_tail", kind=kind, kind_prefix=prefix, subject=subject, limit=limit
            )
        return [Event.from_row(r) for r in rows]

    def about(self, subject: str, since_ts: float, limit: int = 1000) -> list[Event]:
        """Events about `subject` recorded at or after the time `since_ts`, oldest first."""
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.all("events_for_subject_since", subject=subject, since=since_ts, limit=limit)
        return [Event.from_row(r) for r in rows]

    def last_id(self) -> int:
        with self.ctx.store.transaction(write=False) as tx:
            row = tx.one("events_max_id")
        return int(row["id"]) if row else 0

    def follow(
        self,
        since: int = 0,
        kind: str | None = None,
        poll: float = 0.1,
        stop: object = None,
    ) -> Iterator[Event]:
        """Yield events as they are committed, forever (or until `stop()` is true)."""
        last = since
        while True:
            batch = self.since(last, kind=kind)
            yield from batch
            if batch:
                last = batch[-1].id
            if callable(stop) and stop():
                return
            if not batch:
                time.sleep(poll)


def _kind_filter(kind: str | None) -> tuple[str | None, str | None]:
    if kind is None:
        return None, None
    if kind.endswith("*"):
        return kind, kind[:-1] + "%"
    if kind.endswith("."):
        return kind, kind + "%"
    return kind, None
