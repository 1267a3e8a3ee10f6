"""A second connection to the same SQLite file in one process must not cost the first its
locks: otherwise another process closing its connection deletes the WAL under us and our
later writes vanish (POSIX drops all fcntl locks on a file when any descriptor is closed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bosun.base.config import default_config
from bosun.core.context import Context
from bosun.store.sqlite import SqliteStore

PEEK = """
import sys
from bosun.store.sqlite import SqliteStore
store = SqliteStore(sys.argv[1])
with store.transaction(write=False) as tx:
    print(len(tx.all("identity_list", role=None, status=None)))
store.close()
"""


def peek(db: Path) -> int:
    out = subprocess.run([sys.executable, "-c", PEEK, str(db)], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip())


def test_writes_stay_visible_after_a_second_connection_and_a_foreign_close(
    tmp_path: Path,
) -> None:
    db = tmp_path / "bosun.db"
    first = Context(store=SqliteStore(db), config=default_config())
    second = SqliteStore(db)  # e.g. a background engine's own connection
    try:
        assert peek(db) == 0  # another process opens and closes: the last-closer check runs
        first.identities.create("polecat", "toast")
        assert peek(db) == 1
        assert (tmp_path / "bosun.db-wal").exists()
        first.identities.create("polecat", "nux")
        assert peek(db) == 2
    finally:
        second.close()
        first.close()
