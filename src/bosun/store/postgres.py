"""The PostgreSQL backend (psycopg 3), for fleets that span machines."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from bosun.base.clock import Clock, SystemClock
from bosun.base.errors import StoreError, StoreUnavailable
from bosun.store import schema
from bosun.store.base import MIGRATIONS_TABLE, BaseTx, pending_migrations

MIGRATION_LOCK = 0x626F73756E  # "bosun": serialises migrators fleet-wide
RETRYABLE = ("40001", "40P01")  # serialization failure, deadlock


def redact(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    db = parts.path.lstrip("/") or "(default)"
    return f"postgresql://{host}:{port}/{db}"


class PostgresStore:
    dialect = "postgres"

    def __init__(self, url: str, clock: Clock | None = None, *, connect_timeout: int = 5):
        import psycopg

        self.clock = clock or SystemClock()
        self.url = url
        self.location = redact(url)
        self._lock = threading.RLock()
        try:
            self._conn = psycopg.connect(
                url,
                connect_timeout=connect_timeout,
                cursor_factory=psycopg.ClientCursor,
                autocommit=False,
            )
        except psycopg.OperationalError as exc:
            parts = urlsplit(url)
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {parts.hostname or 'localhost'}:"
                f"{parts.port or 5432} ({_first_line(exc)})",
                "check that the server runs and database_url / BOSUN_DATABASE_URL is right",
            ) from exc
        except psycopg.ProgrammingError as exc:
            raise StoreUnavailable(
                f"invalid PostgreSQL URL {self.location}: {_first_line(exc)}",
                "write it as postgresql://user@host:port/database",
            ) from exc
        self._migrate()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[BaseTx]:
        import psycopg

        with self._lock:
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    tx = BaseTx(cur, self.dialect, self.clock.now())
                    yield tx
            except psycopg.Error as exc:
                raise _translate(exc, self.location) from exc
        tx.run_after_commit()

    def execute_raw(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """For the store layer itself (advisory locks, LISTEN/NOTIFY); not for callers."""
        with self._lock, self._conn.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.description else []
        self._conn.commit()
        return rows

    def schema_version(self) -> int:
        with self.transaction(write=False) as tx:
            tx._cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            return int(tx._cursor.fetchone()[0])

    def _migrate(self) -> None:
        with self.transaction() as tx:
            cur = tx._cursor
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            cur.execute(MIGRATIONS_TABLE.format(**schema.TYPES["postgres"]))
            cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            current = int(cur.fetchone()[0])
            for migration in pending_migrations(current):
                for statement in migration.sql(self.dialect):
                    cur.execute(statement.replace("%", "%%"))
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) "
                    "VALUES (%s, %s, %s)",
                    (migration.version, migration.name, tx.now),
                )

    def schema_dump(self) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        with self.transaction(write=False) as tx:
            cur = tx._cursor
            cur.execute(
                "SELECT table_name, column_name, data_type, is_nullable, column_default "
                "FROM information_schema.columns WHERE table_schema = current_schema()"
            )
            for table, col, dtype, nullable, default in cur.fetchall():
                out.append(("column", table, col, dtype.upper(), nullable, str(default)))
            cur.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema()"
            )
            for table, name, definition in cur.fetchall():
                out.append(("index", table, name, definition))
        return sorted(out)

    def close(self) -> None:
        self._conn.close()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _translate(exc: Exception, location: str) -> StoreError:
    import psycopg

    if isinstance(exc, psycopg.OperationalError):
        return StoreUnavailable(
            f"lost the connection to {location}: {_first_line(exc)}",
            "check the PostgreSQL server; bosun retries on the next call",
        )
    return StoreError(f"database error on {location}: {_first_line(exc)}", "run with -v")
