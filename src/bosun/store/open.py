"""Choose and open the configured backend."""

from __future__ import annotations

from bosun.base.clock import Clock
from bosun.base.config import Config
from bosun.base.dburl import check_database_url, redact_secrets
from bosun.base.errors import ConfigError
from bosun.base.paths import ProjectPaths
from bosun.store.protocol import Store


def open_store(
    paths: ProjectPaths | None,
    config: Config,
    clock: Clock | None = None,
    *,
    create: bool = False,
) -> Store:
    """PostgreSQL when `database_url` is set, else the project's SQLite file."""
    url = config.optional_text("database_url")
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigError(
                f"database_url {redact_secrets(url.split('@')[-1])!r} is not a PostgreSQL URL",
                "write postgresql://user@host:port/database, or leave it empty for SQLite",
            )
        check_database_url(url)
        from bosun.store.postgres import PostgresStore  # psycopg: ~200 ms, only when used

        return PostgresStore(url, clock)
    from bosun.store.sqlite import SqliteStore  # only when used

    if paths is None:
        return SqliteStore(":memory:", clock)
    return SqliteStore(paths.database, clock, create=create)
