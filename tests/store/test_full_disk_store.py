"""A full disk is named as such, with the free space, not as a permissions problem."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bosun.store import sqlite as backend

FILL = """
import resource, signal, sys
from bosun.base.errors import StoreError
from bosun.store import sqlite as backend
from bosun.store.sqlite import SqliteStore
store = SqliteStore(sys.argv[1])
backend.free_bytes = lambda location: int(sys.argv[2])  # what a full disk reports
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))  # writes fail past this
try:
    for i in range(400):
        with store.transaction() as tx:
            tx._cursor.execute("CREATE TABLE IF NOT EXISTS ballast (b BLOB)")
            tx._cursor.execute("INSERT INTO ballast VALUES (randomblob(8000))")
except StoreError as exc:
    print(exc.message)
    print(exc.hint)
"""


def _fill(tmp_path: Path, free: int) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", FILL, str(tmp_path / "bosun.db"), str(free)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_a_write_failing_on_a_full_disk_names_the_disk_and_its_free_space(
    tmp_path: Path,
) -> None:
    message, hint = _fill(tmp_path, 4096)
    assert "is full (4.0 KiB free)" in message and str(tmp_path / "bosun.db") in message
    assert "free space" in hint and "permission" not in hint


def test_an_io_error_with_room_on_the_disk_is_not_called_full(tmp_path: Path) -> None:
    message, hint = _fill(tmp_path, 50 << 30)
    assert message.startswith("disk I/O error on") and "50.0 GiB free" in message
    assert "full" not in message


@pytest.mark.parametrize("code", [13, 13 | (1 << 8)])
def test_sqlite_full_is_a_full_disk_whatever_the_space(
    tmp_path: Path, code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend, "free_bytes", lambda location: 3 << 20)
    exc = sqlite3.OperationalError("database or disk is full")
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    error = backend._translate(exc, str(tmp_path / "bosun.db"))
    assert "is full (3.0 MiB free)" in error.message
