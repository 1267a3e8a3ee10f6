"""PostgreSQL only: a dropped connection is reopened, and writers of one schema share a lock
that writers of another schema do not wait on."""

from __future__ import annotations

import psycopg
import pytest

from bosun.base.errors import StoreUnavailable
from bosun.store.postgres import PostgresStore


def _kill_backends(base_url: str, store: PostgresStore) -> None:
    pid = store.execute_raw("SELECT pg_backend_pid() AS pid")[0]["pid"]
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def _count(store: PostgresStore) -> int:
    with store.transaction(write=False) as tx:
        row = tx.one("events_count")
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("write", [True, False])
def test_a_dropped_connection_is_reopened_at_the_next_transaction(
    pg_url: str, pg_base_url: str, write: bool
) -> None:
    store = PostgresStore(pg_url)
    try:
        _kill_backends(pg_base_url, store)
        with store.transaction(write=write) as tx:
            if write:
                tx.emit("x.after_reconnect", "s")
            else:
                tx.all("events_since", since=0, kind=None, kind_prefix=None, subject=None, limit=5)
        assert _count(store) == (1 if write else 0)
    finally:
        store.close()


def test_a_connection_dropped_inside_a_transaction_is_unavailable_then_recovers(
    pg_url: str, pg_base_url: str
) -> None:
    store = PostgresStore(pg_url)
    try:
        with (
            pytest.raises(StoreUnavailable, match="lost the connection to postgresql://"),
            store.transaction() as tx,
        ):
            tx.emit("x.lost", "s")
            _kill_backends(pg_base_url, store)
            tx.emit("x.lost", "s")
        assert _count(store) == 0  # the half-done transaction left nothing
    finally:
        store.close()
