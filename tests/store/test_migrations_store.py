"""Migrations: upgrading one version at a time gives exactly the schema of a fresh create,
and several processes opening a fresh database at once all succeed."""

from __future__ import annotations

import secrets
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_contract import open_backend

from bosun.store import schema


@pytest.fixture
def fresh(backend: tuple[str, str], tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A second, empty location on the same backend."""
    dialect, location = backend
    if dialect == "sqlite":
        yield dialect, str(tmp_path / "fresh.db")
        return
    import psycopg

    base, _, _ = location.partition("?")
    name = f"bosun_t_{secrets.token_hex(5)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield dialect, f"{base}?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _dump(backend: tuple[str, str]) -> tuple[list[tuple[str, ...]], int]:
    store = open_backend(backend)
    try:
        return store.schema_dump(), store.schema_version()
    finally:
        store.close()


def test_upgrading_one_version_at_a_time_equals_a_fresh_create(
    backend: tuple[str, str], fresh: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = schema.available()
    for k in shipped:
        monkeypatch.setattr(
            schema, "available", lambda k=k: {v: m for v, m in shipped.items() if v <= k}
        )
        dump, version = _dump(backend)  # an older bosun opens (and upgrades) the database
        assert version == k
        assert ("column", "schema_migrations", "version") in {d[:3] for d in dump}
    monkeypatch.setattr(schema, "available", lambda: shipped)
    upgraded, version = _dump(backend)
    created, fresh_version = _dump(fresh)
    assert version == fresh_version == max(shipped)
    assert upgraded == created


def test_reopening_a_current_database_changes_nothing(backend: tuple[str, str]) -> None:
    first, _ = _dump(backend)
    again, _ = _dump(backend)
    assert first == again


OPENER = textwrap.dedent(
    """
    import os, sys, time
    dialect, location, go = sys.argv[1:]
    deadline = time.monotonic() + 60
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.0005)
    if dialect == "sqlite":
        from bosun.store.sqlite import SqliteStore as S
    else:
        from bosun.store.postgres import PostgresStore as S
    store = S(location)
    print(store.schema_version())
    store.close()
    """
)


def test_processes_opening_a_fresh_database_at_once_all_succeed(
    fresh: tuple[str, str], tmp_path: Path
) -> None:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, fresh[0], fresh[1], str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        go.touch()
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == str(schema.latest_version())
    store = open_backend(fresh)
    try:
        from bosun.store.queries import register

        register({"contract_migrations": "SELECT version FROM schema_migrations ORDER BY 1"})
        with store.transaction(write=False) as tx:
            applied = [r["version"] for r in tx.all("contract_migrations")]
    finally:
        store.close()
    assert applied == list(schema.available())  # each applied exactly once
