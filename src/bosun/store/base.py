"""What both backends share: the transaction handle, events, and applying migrations."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from bosun.base.clock import Clock
from bosun.base.errors import StoreError
from bosun.store import schema
from bosun.store.protocol import Row
from bosun.store.queries import sql_for

Cursor = Any

_READ_VERBS = ("SELECT", "WITH", "VALUES", "EXPLAIN")
_reads: dict[tuple[str, str], bool] = {}
_now: dict[tuple[str, str], bool] = {}
_NOW = re.compile(r"(?<![:\w]):now\b")


class BaseTx:
    """A transaction handle over one DB-API cursor. Named queries only.

    `begin`, when given, runs once before the first statement or the first use of `now`
    (PostgreSQL starts its transaction and takes the writer lock lazily). `now` is read
    from the clock only after that, so timestamps follow the order in which writers commit.
    """

    def __init__(
        self,
        cursor: Cursor,
        dialect: str,
        clock: Clock,
        *,
        write: bool = True,
        begin: Callable[[], None] | None = None,
    ) -> None:
        self._cursor = cursor
        self._dialect = dialect
        self._clock = clock
        self._write = write
        self._begin = begin
        self._now: float | None = None
        self._after: list[Callable[[], None]] = []
        self.started = begin is None
        self.events: list[int] = []

    @property
    def now(self) -> float:
        """One timestamp for everything this transaction records."""
        if self._now is None:
            self._start()
            self._now = self._clock.now()
        return self._now

    def _start(self) -> None:
        if not self.started:
            self.started = True
            assert self._begin is not None
            self._begin()

    def _sql(self, query: str) -> str:
        sql = sql_for(query, self._dialect)
        if not self._write and not _is_read(query, sql, self._dialect):
            raise StoreError(
                f"query {query!r} writes, inside a read-only transaction",
                "open it with store.transaction() (write=True)",
            )
        return sql

    def _prepare(self, query: str, params: dict[str, Any]) -> str:
        """The SQL of `query`, with `:now` filled in when it uses it and nothing gave it."""
        sql = self._sql(query)
        if "now" not in params and _uses_now(query, self._dialect):
            params["now"] = self.now
        return sql

    def _execute(self, query: str, params: dict[str, Any]) -> Cursor:
        sql = self._prepare(query, params)
        self._start()
        self._cursor.execute(sql, params)
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


def _is_read(query: str, sql: str, dialect: str) -> bool:
    key = (query, dialect)
    found = _reads.get(key)
    if found is None:
        found = _reads[key] = sql.lstrip(" (\n\t").upper().startswith(_READ_VERBS)
    return found


def _uses_now(query: str, dialect: str) -> bool:
    key = (query, dialect)
    found = _now.get(key)
    if found is None:
        found = _now[key] = bool(_NOW.search(sql_for(query, "sqlite")))
    return found


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

NESTED_HINT = "pass the open transaction to the *_in variant instead of opening another"
