"""A database that cannot be used gives one clear line, and nothing is created or changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bosun.base.config import load_config
from bosun.base.errors import ConfigError, CorruptStore, StoreUnavailable
from bosun.store.open import open_store
from bosun.store.sqlite import SqliteStore


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


@pytest.mark.parametrize(
    "content",
    [os.urandom(4096), b"just some notes\n" * 50, b"SQLite format 3\x00" + os.urandom(8192)],
    ids=["random-bytes", "text-file", "sqlite-header-then-garbage"],
)
def test_a_corrupt_file_is_named_and_never_recreated(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "bosun.db"
    db.write_bytes(content)
    for create in (False, True):
        with pytest.raises(CorruptStore) as caught:
            SqliteStore(db, create=create)
        assert str(db) in caught.value.message
        assert "\n" not in caught.value.message
        assert "never recreates" in caught.value.hint
    assert _files(tmp_path) == {"bosun.db": content}  # untouched, nothing beside it


def test_an_unreadable_database_is_unavailable(tmp_path: Path) -> None:
    db = tmp_path / "bosun.db"
    db.mkdir()  # unreadable as a file for every user, root included
    with pytest.raises(StoreUnavailable) as caught:
        SqliteStore(db, create=True)
    assert f"cannot read database {db}" in caught.value.message
    assert db.is_dir() and list(db.iterdir()) == []


def test_a_missing_database_is_not_created_unless_asked(tmp_path: Path) -> None:
    db = tmp_path / "bosun.db"
    with pytest.raises(StoreUnavailable, match="does not exist"):
        SqliteStore(db, create=False)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(StoreUnavailable, match="cannot use database"):
        SqliteStore(tmp_path / "no" / "such" / "dir" / "bosun.db", create=True)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_postgresql_names_host_and_port() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        open_store(
            None,
            load_config(
                None, {"BOSUN_DATABASE_URL": "postgresql://bosun:secret@127.0.0.1:1/fleet"}
            ),
        )
    message = caught.value.message
    assert message.startswith("cannot connect to PostgreSQL at 127.0.0.1:1 (")
    assert "\n" not in message and "Traceback" not in message and "secret" not in message
    assert "database_url" in caught.value.hint


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://db.example/fleet", "is not a PostgreSQL URL"),
        ("sqlite:///tmp/x.db", "is not a PostgreSQL URL"),
        ("postgresql://h:notaport/db", "not a valid URL"),
    ],
)
def test_a_url_that_is_not_postgresql_is_a_config_error(url: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        open_store(None, load_config(None, {"BOSUN_DATABASE_URL": url}))
    assert "\n" not in caught.value.message


def test_the_sqlite_path_never_imports_psycopg(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bosun.base.config import load_config\n"
        "from bosun.base.paths import ProjectPaths\n"
        "from bosun.core.context import Context\n"
        "from bosun.store.open import open_store\n"
        f"root = Path({str(tmp_path)!r})\n"
        "(root / '.bosun').mkdir()\n"
        "config = load_config(None, {})\n"
        "ctx = Context(store=open_store(ProjectPaths(root), config, create=True), config=config)\n"
        "ctx.identities.create('polecat', 'toast')\n"
        "ctx.identities.heartbeat('polecat', 'toast')\n"
        "ctx.close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'psycopg'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


def test_an_emptied_database_is_refused_not_silently_recreated(tmp_path: Path) -> None:
    db = tmp_path / "bosun.db"
    SqliteStore(db, create=True).close()
    db.write_bytes(b"")  # truncated to 0 bytes: its identities, work and hooks are gone
    with pytest.raises(CorruptStore) as caught:
        SqliteStore(db, create=False)
    assert "is empty (0 bytes)" in caught.value.message and "bosun init" in caught.value.hint
    assert db.read_bytes() == b""
    SqliteStore(db, create=True).close()  # `bosun init` may start it again, on purpose


def test_a_read_only_filesystem_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from bosun.store import sqlite as backend

    monkeypatch.setattr(backend, "_read_only_filesystem", lambda location: True)
    error = backend._translate(
        sqlite3.OperationalError("unable to open database file"), str(tmp_path / "bosun.db")
    )
    assert "mounted read-only" in error.message and "remount" in error.hint
