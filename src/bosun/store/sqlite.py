"""The SQLite backend: one file in WAL mode; writers serialise with BEGIN IMMEDIATE."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bosun.base.clock import Clock, SystemClock
from bosun.base.errors import CorruptStore, StoreError, StoreUnavailable
from bosun.store import schema
from bosun.store.base import MIGRATIONS_TABLE, NESTED_HINT, BaseTx, pending_migrations

BUSY_TIMEOUT_S = 30.0


class SqliteStore:
    dialect = "sqlite"

    def __init__(self, path: Path | str, clock: Clock | None = None, *, create: bool = True):
        self.clock = clock or SystemClock()
        self.location = str(path)
        self._lock = threading.RLock()
        self._active = False
        self._session_locks: dict[tuple[int, str], int | None] = {}
        memory = str(path) == ":memory:"
        if not memory:
            file = Path(path)
            if not file.exists() and not create:
                raise StoreUnavailable(
                    f"database {file} does not exist", "run `bosun init` in the repository"
                )
            if file.exists() and not _OPEN.get(_key(file)):
                if not _looks_like_sqlite(file):
                    raise CorruptStore(
                        f"{file} is not a SQLite database (corrupt or overwritten)",
                        "restore it from a backup or move it aside; bosun never recreates it",
                    )
                if not create and _emptied(file):
                    raise CorruptStore(
                        f"{file} is empty (0 bytes): truncated, its data is gone",
                        "restore it from a backup, or move it aside and run `bosun init` "
                        "for a new one; bosun never recreates it by itself",
                    )
        try:
            self._conn = sqlite3.connect(
                self.location,
                timeout=BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
            )
            self._file_key = None if memory else _key(Path(path))
            if self._file_key is not None:
                _OPEN[self._file_key] = _OPEN.get(self._file_key, 0) + 1
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if not memory:  # switching to WAL needs a moment alone with a fresh file
                self._retry_locked(lambda: self._conn.execute("PRAGMA journal_mode = WAL"))
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            self.close()
            raise _translate(exc, self.location) from exc
        except BaseException:
            self.close()
            raise

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, write: bool = True, durable: bool = True) -> Iterator[BaseTx]:
        """`durable` changes nothing here: in WAL mode with synchronous=NORMAL a commit
        survives a crash of the process, and the last ones may be lost on power failure."""
        with self._lock:
            if self._active:
                raise StoreError(f"a transaction is already open on {self.location}", NESTED_HINT)
            self._active = True
            try:
                cur = self._conn.cursor()
                self._begin(cur, write)
                tx = BaseTx(cur, self.dialect, self.clock, write=write)
                try:
                    yield tx
                except sqlite3.Error as exc:
                    self._rollback(cur)
                    raise _translate(exc, self.location) from exc
                except BaseException:
                    self._rollback(cur)
                    raise
                try:
                    cur.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._rollback(cur)
                    raise _translate(exc, self.location) from exc
            finally:
                self._active = False
        tx.run_after_commit()

    def _rollback(self, cur: sqlite3.Cursor) -> None:
        # SQLite rolls some failures back by itself; a second ROLLBACK would hide the cause.
        if self._conn.in_transaction:
            cur.execute("ROLLBACK")

    def _begin(self, cur: sqlite3.Cursor, write: bool) -> None:
        """BEGIN IMMEDIATE takes the write lock up front, so a writer waits here, in the
        busy handler, and never fails half-way with "database is locked"."""
        self._retry_locked(lambda: cur.execute("BEGIN IMMEDIATE" if write else "BEGIN"))

    def _retry_locked(self, action: Callable[[], object]) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_S * 2
        while True:
            try:
                action()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise _translate(exc, self.location) from exc
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{self.location} stayed locked for {BUSY_TIMEOUT_S * 2:.0f}s",
                        "another process holds a long write transaction; find it with fuser",
                    ) from exc
                time.sleep(0.005)

    # -- session locks --------------------------------------------------------------------

    def try_session_lock(self, space: int, key: str) -> bool:
        """An flock on a file beside the database, which the system drops with the process.
        (An in-memory database is private to this store: its locks never contend.)"""
        with self._lock:
            if (space, key) in self._session_locks:
                return True
            if self._file_key is None:
                self._session_locks[(space, key)] = None
                return True
            path = _session_lock_file(Path(self.location), space, key)
            try:
                path.parent.mkdir(exist_ok=True)
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise StoreUnavailable(
                    f"cannot open the lock file {path}: {exc.strerror}",
                    "check the permissions of the database's directory",
                ) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            self._session_locks[(space, key)] = fd
            return True

    def holds_session_lock(self, space: int, key: str) -> bool:
        return (space, key) in self._session_locks

    def release_session_lock(self, space: int, key: str) -> None:
        with self._lock:
            fd = self._session_locks.pop((space, key), None)
            if fd is not None:
                os.close(fd)  # closing the descriptor releases its flock

    # -- schema ---------------------------------------------------------------------------

    def schema_version(self) -> int:
        row = self._conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(row.fetchone()[0])

    def _migrate(self) -> None:
        if self._has_migrations_table() and self.schema_version() >= schema.latest_version():
            return
        with self.transaction() as tx:  # BEGIN IMMEDIATE: one migrator at a time
            cur = tx._cursor
            cur.execute(MIGRATIONS_TABLE.format(**schema.TYPES["sqlite"]))
            current = int(
                cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]
            )
            for migration in pending_migrations(current):
                for statement in migration.sql(self.dialect):
                    cur.execute(statement)
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, tx.now),
                )

    def _has_migrations_table(self) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        return row is not None

    def schema_dump(self) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        tables = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
        for (table,) in tables:
            for col in self._conn.execute(f"PRAGMA table_info('{table}')"):
                out.append(("column", table, col[1], str(col[2]).upper(), str(col[3]), str(col[5])))
            for idx in self._conn.execute(f"PRAGMA index_list('{table}')"):
                cols = [r[2] for r in self._conn.execute(f"PRAGMA index_info('{idx[1]}')")]
                out.append(("index", table, idx[1], ",".join(cols), str(idx[2])))
            for fk in self._conn.execute(f"PRAGMA foreign_key_list('{table}')"):
                out.append(
                    ("foreign key", table, str(fk[0]), fk[3], fk[2], str(fk[4]), fk[5], fk[6])
                )
        return sorted(out)

    def close(self) -> None:
        for fd in getattr(self, "_session_locks", {}).values():
            if fd is not None:
                os.close(fd)
        self._session_locks = {}
        conn: sqlite3.Connection | None = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()
            del self._conn
            key = getattr(self, "_file_key", None)
            if key is not None and _OPEN.get(key):
                _OPEN[key] -= 1


# Files this process has a connection to. POSIX releases *all* of a process's fcntl locks
# on a file when *any* descriptor of it is closed, so reading the header of a database that
# is already open here would drop SQLite's locks: another process could then take the file
# for its own, checkpoint and delete the WAL under us, and our writes would be lost. The
# header is checked only before the first connection; later ones rely on SQLite's checks.
_OPEN: dict[str, int] = {}


def _key(file: Path) -> str:
    return os.path.realpath(file)


def _session_lock_file(database: Path, space: int, key: str) -> Path:
    """A 32-bit hash of the key, as PostgreSQL's advisory locks use (zlib is loaded already;
    hashlib would cost the heartbeat milliseconds)."""
    digest = zlib.crc32(key.encode())
    return database.with_name(database.name + ".locks") / f"{space:x}-{digest:08x}.lock"


def _looks_like_sqlite(file: Path) -> bool:
    try:
        with file.open("rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot read database {file}: {exc.strerror}", "check the file's permissions"
        ) from exc
    return header == b"" or header == b"SQLite format 3\x00"


def _emptied(file: Path) -> bool:
    """A database file of 0 bytes with no write-ahead log beside it: every database bosun
    made has its header page on disk, so this one was truncated (or replaced)."""
    try:
        if file.stat().st_size:
            return False
        wal = Path(f"{file}-wal")
        return not wal.exists() or wal.stat().st_size == 0
    except OSError:
        return False


SQLITE_IOERR, SQLITE_FULL = 10, 13
LOW_FREE_SPACE = 1 << 20  # below this an I/O error on write is most likely a full disk


def free_bytes(location: str) -> int | None:
    """Free space on the filesystem that holds the database (None when unknown)."""
    try:
        return shutil.disk_usage(Path(location).absolute().parent).free
    except OSError:
        return None


def _read_only_filesystem(location: str) -> bool:
    try:
        return bool(os.statvfs(Path(location).absolute().parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _translate(exc: sqlite3.Error, location: str) -> StoreError:
    text = str(exc)
    code = int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    if "not a database" in text or "malformed" in text:
        return CorruptStore(
            f"{location} is corrupt: {text}",
            "restore it from a backup or move it aside; bosun never recreates it",
        )
    io_error = code == SQLITE_IOERR or "disk I/O" in text
    if code == SQLITE_FULL or "disk is full" in text or io_error:
        free = free_bytes(location) if location != ":memory:" else None
        room = f"{_size(free)} free" if free is not None else "free space unknown"
        if (
            code == SQLITE_FULL
            or "disk is full" in text
            or (free is not None and free < LOW_FREE_SPACE)
        ):
            return StoreUnavailable(
                f"the disk holding {location} is full ({room}): {text}",
                f"free space on the filesystem of {Path(location).absolute().parent}, then retry",
            )
        return StoreUnavailable(
            f"disk I/O error on {location} ({room}): {text}",
            "check the disk (dmesg) and the permissions of the database and its directory",
        )
    if "unable to open" in text or "readonly" in text:
        if location != ":memory:" and _read_only_filesystem(location):
            return StoreUnavailable(
                f"cannot use database {location}: its filesystem is mounted read-only ({text})",
                "remount it read-write: bosun writes the database and its -wal and -shm files "
                "even to read",
            )
        return StoreUnavailable(f"cannot use database {location}: {text}", "check permissions")
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{location} is locked by another process: {text}",
            "another process holds a long write transaction; find it with fuser",
        )
    return StoreError(f"database error on {location}: {text}", "run with -v for details")
