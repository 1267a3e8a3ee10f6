"""What both backends share: the transaction handle, events, and applying migrations."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bosun.store import schema
from bosun.store.protocol import Row
from bosun.store.queries import sql_for

Cursor = Any


class BaseTx:
    """A transaction handle over one DB-API cursor. Named queries only."""

    def __init__(self, cursor: Cursor, dialect: str, now: float) -> None:
        self._cursor = cursor
        self._dialect = dialect
        self.now = now
        self._after: list[Callable[[], None]] = []
        self.events: list[int] = []

    def _execute(self, query: str, params: dict[str, Any]) -> Cursor:
        params.setdefault("now", self.now)
        self._cursor.execute(sql_for(query, self._dialect), params)
        return self._cursor

    def one(self, query: str, **params: Any) -> Row | None:
        cur = self._execute(query, params)
        row = cur.fetchone()
        return None if row is None else _as_dict(cur, row)

    def all(self, query: str, **params: Any) -> list[Row]:
        cur = self._execute(query, params)
        return [_as_dict(cur, row) for row in cur.fetchall()]

    def run(self, query: str, **params: Any) -> int:
        rowcount: int = self._execute(query, params).rowcount
        return rowcount

    def emit(self, kind: str, subject: str, data: dict[str, Any] | None = None) -> int:
        row = self.one(
            "event_insert",
            ts=self.now,
            kind=kind,
            subject=subject,
            data=json.dumps(data or {}, sort_keys=True, default=str),
        )
        assert row is not None
        event_id = int(row["id"])
        self.events.append(event_id)
        return event_id

    def after_commit(self, action: Callable[[], None]) -> None:
        self._after.append(action)

    def run_after_commit(self) -> None:
        for action in self._after:
            action()


def _as_dict(cursor: Cursor, row: Any) -> Row:
    if isinstance(row, dict):
        return row
    return {col[0]: value for col, value in zip(cursor.description, row, strict=True)}


def pending_migrations(current: int) -> list[schema.Migration]:
    return [schema.load(v) for v in schema.available() if v > current]


MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {float} NOT NULL)"
)
