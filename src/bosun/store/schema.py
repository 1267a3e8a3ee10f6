"""Versioned schema migrations, written once for both dialects.

DDL uses a few type words that each backend fills in: {pk} an auto-increment primary key,
{float} a double, {bigint} a 64-bit integer. Each migration is a module
`migrations/mNNN_<name>.py` defining `MIGRATION`; they are only ever appended. Opening a store
applies the missing ones in order, inside one transaction, holding the writer lock (so two
processes opening a fresh database at once migrate it once).
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

TYPES = {
    "sqlite": {"pk": "INTEGER PRIMARY KEY AUTOINCREMENT", "float": "REAL", "bigint": "INTEGER"},
    "postgres": {"pk": "BIGSERIAL PRIMARY KEY", "float": "DOUBLE PRECISION", "bigint": "BIGINT"},
}


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]

    def sql(self, dialect: str) -> list[str]:
        return [stmt.format(**TYPES[dialect]) for stmt in self.statements]


_MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^m(\d{3})_([a-z0-9_]+)\.py$")


def available() -> dict[int, str]:
    """Version → module name of every migration shipped, found without importing them."""
    found: dict[int, str] = {}
    for entry in os.listdir(_MIGRATIONS_DIR):
        match = _NAME.match(entry)
        if match:
            version = int(match.group(1))
            if version in found:
                raise RuntimeError(f"two migrations claim version {version}")
            found[version] = entry[:-3]
    return dict(sorted(found.items()))


def latest_version() -> int:
    return max(available())


def load(version: int) -> Migration:
    module = importlib.import_module(f"bosun.store.migrations.{available()[version]}")
    migration: Migration = module.MIGRATION
    if migration.version != version:
        raise RuntimeError(f"migration file for {version} declares {migration.version}")
    return migration
