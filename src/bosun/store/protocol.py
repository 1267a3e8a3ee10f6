"""The Store protocol every backend implements, and the transaction handle it yields.

Only the store layer executes SQL. Callers name a query registered in `bosun.store.queries`
(or an engine's own query module) and pass parameters; each backend turns the name into its
dialect's SQL. Every state change and the event recording it commit in one transaction:
`tx.emit(...)` inserts the event inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = dict[str, Any]


class Tx(Protocol):
    now: float  # one timestamp for everything the transaction records

    def one(self, query: str, **params: Any) -> Row | None: ...

    def all(self, query: str, **params: Any) -> list[Row]: ...

    def run(self, query: str, **params: Any) -> int:
        """Execute and return the number of rows affected."""

    def emit(self, kind: str, subject: str, data: dict[str, Any] | None = None) -> int:
        """Append an event in this transaction and return its id."""

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction has committed (never if it rolls back)."""


class Store(Protocol):
    dialect: str  # "sqlite" | "postgres"
    location: str  # a file path or a URL without its password, for messages

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Tx]: ...

    def schema_version(self) -> int: ...

    def schema_dump(self) -> list[tuple[str, ...]]:
        """A normalised description of tables, columns and indexes (for migration tests)."""

    def close(self) -> None: ...
