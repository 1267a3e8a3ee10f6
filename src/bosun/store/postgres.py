"""The PostgreSQL backend (psycopg 3), for fleets that span machines.

The connection runs in autocommit mode and the store issues BEGIN/COMMIT itself:
- a read-only transaction sends its statements as they come (READ COMMITTED gives each
  statement its own snapshot either way), so a read costs one round trip;
- a write transaction starts lazily, at its first statement or first use of `tx.now`, with
  `BEGIN; SELECT pg_advisory_xact_lock(…)` in one round trip. That lock serialises writers
  of one schema the way BEGIN IMMEDIATE does on SQLite, so the read-modify-write code of the
  core services never loses an update and never deadlocks; `tx.now` is read after it.
- a connection found broken at the start of a transaction is reopened once, transparently;
- parameters are bound on the client (queries such as `:x IS NULL OR col = :x` need it);
- `transaction(durable=False)` (a heartbeat) commits without waiting for the WAL flush
  unless it emitted an event; a server crash may forget the last fraction of a second of
  such commits, never half of one. Every transition waits for the flush.

psycopg costs ~200 ms to import, so only `store/open.py` imports this module, and only when
a PostgreSQL store is opened.
"""

from __future__ import annotations

import contextlib
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row

from bosun.base.clock import Clock, SystemClock
from bosun.base.errors import ConfigError, StoreError, StoreUnavailable
from bosun.store import schema
from bosun.store.base import MIGRATIONS_TABLE, NESTED_HINT, BaseTx, pending_migrations

LOCK_CLASS = 0x626F7375  # "bosu": the first key of bosun's advisory locks
LOCK_TIMEOUT_MS = 60_000  # a writer waiting this long gets a clear error
IDLE_TX_TIMEOUT_MS = 120_000  # a client stuck inside a transaction loses it (and the lock)
SESSION = (
    f"SET lock_timeout = {LOCK_TIMEOUT_MS}; "
    f"SET idle_in_transaction_session_timeout = {IDLE_TX_TIMEOUT_MS}; "
    "SELECT current_schema() AS schema, to_regclass('schema_migrations') IS NOT NULL AS ready"
)


# Session advisory locks, keyed by the schema and the key so separate bosun schemas on one
# server never contend. Taking a lock already held does not stack a second hold.
_SESSION_KEY = "%(space)s, hashtext(current_schema() || '/' || %(key)s::text)"
_SESSION_HELD = (
    "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = pg_backend_pid() AND objsubid = 2 AND classid = %(space)s::oid "
    "AND objid = hashtext(current_schema() || '/' || %(key)s::text)::oid)"
)
SESSION_LOCK_TRY = (
    f"SELECT CASE WHEN {_SESSION_HELD} THEN true "
    f"ELSE pg_try_advisory_lock({_SESSION_KEY}) END AS ok"
)
SESSION_LOCK_HELD = f"SELECT {_SESSION_HELD} AS ok"
SESSION_LOCK_RELEASE = (
    f"SELECT CASE WHEN {_SESSION_HELD} THEN pg_advisory_unlock({_SESSION_KEY}) END AS ok"
)

COMMIT = "COMMIT"
COMMIT_ASYNC = "SET LOCAL synchronous_commit = off; COMMIT"


def server_of(url: str) -> tuple[str, int, str]:
    """(host, port, database) of a PostgreSQL URL; ConfigError when it cannot be read."""
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError as exc:
        raise ConfigError(
            f"database_url is not a valid URL ({exc})",
            "write it as postgresql://user@host:port/database",
        ) from None
    return parts.hostname or "localhost", port, parts.path.lstrip("/") or "(default)"


def redact(url: str) -> str:
    host, port, db = server_of(url)
    return f"postgresql://{host}:{port}/{db}"


class PostgresStore:
    dialect = "postgres"

    def __init__(self, url: str, clock: Clock | None = None, *, connect_timeout: int = 5):
        self.clock = clock or SystemClock()
        self.url = url
        self.location = redact(url)
        self._connect_timeout = connect_timeout
        self._lock = threading.RLock()
        self._active = False
        self._conn: psycopg.Connection[dict[str, Any]] | None = None
        self._writer_key = 0
        ready = self._connect()
        if not ready or self.schema_version() < schema.latest_version():
            self._migrate()

    # -- connection ---------------------------------------------------------------------

    def _connect(self) -> bool:
        """Open the connection and set the session up; True when the schema exists."""
        host, port, _ = server_of(self.url)
        try:
            conn = psycopg.connect(
                self.url,
                connect_timeout=self._connect_timeout,
                cursor_factory=psycopg.ClientCursor,
                row_factory=dict_row,
                autocommit=True,
            )
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {host}:{port} ({_reason(exc)})",
                "check that the server runs and database_url / BOSUN_DATABASE_URL is right",
            ) from exc
        except psycopg.ProgrammingError as exc:
            raise ConfigError(
                f"invalid PostgreSQL URL {self.location}: {_reason(exc)}",
                "write it as postgresql://user@host:port/database",
            ) from exc
        try:
            cur = conn.execute(SESSION)
            while cur.nextset():
                pass
            row = cur.fetchone()
        except psycopg.Error as exc:
            conn.close()
            raise _translate(exc, self.location, True) from exc
        assert row is not None
        # Writers of one schema share a lock; tests in other schemas do not wait on them.
        self._writer_key = _int32(zlib.crc32(f"writer:{row['schema']}".encode()))
        self._conn = conn
        return bool(row["ready"])

    def _connection(self) -> psycopg.Connection[dict[str, Any]]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._connect()
        assert self._conn is not None
        return self._conn

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, write: bool = True, durable: bool = True) -> Iterator[BaseTx]:
        with self._lock:
            if self._active:
                raise StoreError(f"a transaction is already open on {self.location}", NESTED_HINT)
            self._active = True
            try:
                conn = self._connection()
                tx = _PgTx(self, conn.cursor(), write)
                try:
                    yield tx
                    if write and tx.started:
                        # A transaction that emitted an event recorded a transition: durable.
                        lazy = not durable and not tx.events
                        tx._cursor.execute(COMMIT_ASYNC if lazy else COMMIT)
                except psycopg.Error as exc:
                    self._rollback(tx)
                    raise _translate(exc, self.location, self._broken()) from exc
                except BaseException:
                    self._rollback(tx)
                    raise
            finally:
                self._active = False
        tx.run_after_commit()

    def _broken(self) -> bool:
        return self._conn is None or self._conn.broken

    def _rollback(self, tx: _PgTx) -> None:
        if not (tx._write and tx.started) or self._conn is None or self._conn.broken:
            return
        try:
            self._conn.execute("ROLLBACK")
        except psycopg.Error:
            self._conn.close()  # reopened by the next transaction

    @property
    def begin_sql(self) -> str:
        """Start a transaction and wait for this schema's writer lock."""
        return f"BEGIN; SELECT pg_advisory_xact_lock({LOCK_CLASS}, {self._writer_key})"

    def _begin_write(self, tx: _PgTx) -> None:
        tx._first = False
        self._first_statement(tx, self.begin_sql, None)

    def _first_statement(self, tx: _PgTx, sql: str, params: Any, results: int = 1) -> Any:
        """Execute the first statement(s) of a transaction and return the cursor holding
        the last result; reconnect once if the connection turns out to be broken (nothing
        has happened in this transaction yet). Several statements with parameters are
        bound on the client and sent as one simple query."""
        for attempt in (1, 2):
            conn = self._connection()
            cur = psycopg.ClientCursor(conn, row_factory=dict_row) if results > 1 else tx._cursor
            try:
                cur.execute(sql, params)
            except psycopg.OperationalError:
                if attempt == 2 or self._conn is None or not self._conn.broken:
                    raise
                tx._cursor = self._connection().cursor()
                continue
            for _ in range(results - 1):
                cur.nextset()
            return cur
        raise AssertionError("unreachable")

    # -- session locks ------------------------------------------------------------------

    def try_session_lock(self, space: int, key: str) -> bool:
        return self._session_lock(SESSION_LOCK_TRY, space, key)

    def holds_session_lock(self, space: int, key: str) -> bool:
        return self._session_lock(SESSION_LOCK_HELD, space, key)

    def release_session_lock(self, space: int, key: str) -> None:
        self._session_lock(SESSION_LOCK_RELEASE, space, key)

    def _session_lock(self, sql: str, space: int, key: str) -> bool:
        try:
            rows = self.execute_raw(sql, {"space": space, "key": key})
        except psycopg.Error as exc:
            raise _translate(exc, self.location, self._broken()) from exc
        return bool(rows and rows[0]["ok"])

    def execute_raw(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        """For the store layer itself (schema, session locks) and its tests; not for callers."""
        with self._lock:
            cur = self._connection().execute(sql, params)
            return cur.fetchall() if cur.description else []

    # -- schema ---------------------------------------------------------------------------

    def schema_version(self) -> int:
        rows = self.execute_raw("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        return int(rows[0]["v"])

    def _migrate(self) -> None:
        with self.transaction() as tx:  # the writer lock: one migrator at a time
            tx._start()
            cur = tx._cursor
            cur.execute(MIGRATIONS_TABLE.format(**schema.TYPES["postgres"]))
            cur.execute("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
            current = int(cur.fetchone()["v"])
            for migration in pending_migrations(current):
                for statement in migration.sql(self.dialect):
                    cur.execute(statement)
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, tx.now),
                )

    def schema_dump(self) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for r in self.execute_raw(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = current_schema()"
        ):
            out.append(
                (
                    "column",
                    r["table_name"],
                    r["column_name"],
                    r["data_type"].upper(),
                    r["is_nullable"],
                    str(r["column_default"]),
                )
            )
        for r in self.execute_raw(
            "SELECT tablename, indexname, "
            "replace(indexdef, ' ON ' || current_schema() || '.', ' ON ') AS indexdef "
            "FROM pg_indexes WHERE schemaname = current_schema()"
        ):
            out.append(("index", r["tablename"], r["indexname"], r["indexdef"]))
        for r in self.execute_raw(
            "SELECT c.conrelid::regclass::text AS tbl, c.conname, "
            "pg_get_constraintdef(c.oid) AS def FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()"
        ):
            out.append(("constraint", r["tbl"], r["conname"], r["def"]))
        return sorted(out)

    def close(self) -> None:
        if self._conn is not None:
            # The server frees a closed session's locks only when its backend exits, a moment
            # later: release them first so the next holder can take them at once.
            with contextlib.suppress(psycopg.Error):
                if not self._conn.closed:
                    self._conn.execute("SELECT pg_advisory_unlock_all()")
            self._conn.close()


class _PgTx(BaseTx):
    def __init__(self, store: PostgresStore, cursor: Any, write: bool) -> None:
        super().__init__(
            cursor,
            store.dialect,
            store.clock,
            write=write,
            begin=(lambda: store._begin_write(self)) if write else None,
        )
        self._store = store
        self._first = True

    def _execute(self, query: str, params: dict[str, Any]) -> Any:
        sql = self._prepare(query, params)  # may begin the transaction, for `now`
        if not self._first:
            self._cursor.execute(sql, params)
            return self._cursor
        self._first = False
        if self.started:  # a read, or a write that began for `now`
            return self._store._first_statement(self, sql, params)
        # A write whose first statement needs no `now`: BEGIN, the writer lock and the
        # statement travel in one round trip; `now` is read only after the lock is held.
        self.started = True
        return self._store._first_statement(
            self, self._store.begin_sql + "; " + sql, params, results=3
        )


def _int32(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


def _reason(exc: BaseException) -> str:
    """The first line of a driver message, without libpq's 'connection failed:' prefix."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return line.removeprefix("connection failed: ").strip()


def _translate(exc: Exception, location: str, broken: bool) -> StoreError:
    state = getattr(exc, "sqlstate", None) or ""
    if state == "55P03":  # lock_not_available: lock_timeout expired
        return StoreError(
            f"{location}: waited {LOCK_TIMEOUT_MS // 1000}s for another writer",
            "another client holds a long write transaction; see pg_stat_activity",
        )
    if broken or state.startswith(("08", "57P")):
        return StoreUnavailable(
            f"lost the connection to {location}: {_reason(exc)}",
            "check the PostgreSQL server; bosun reconnects on the next call",
        )
    return StoreError(f"database error on {location}: {_reason(exc)}", "run with -v")
