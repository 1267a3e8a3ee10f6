"""Opening a store backend from the `backend` fixture's (dialect, location)."""

from __future__ import annotations


def open_backend(backend: tuple[str, str], clock=None):  # type: ignore[no-untyped-def]
    dialect, location = backend
    if dialect == "sqlite":
        from bosun.store.sqlite import SqliteStore

        return SqliteStore(location, clock)
    from bosun.store.postgres import PostgresStore

    return PostgresStore(location, clock)
