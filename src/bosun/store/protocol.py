"""The Store protocol every backend implements, and the transaction handle it yields.

Only the store layer executes SQL. Callers name a query registered in `bosun.store.queries`
(the store loads every area's `queries_<area>` module itself) and pass parameters; each
backend turns the name into its dialect's SQL. Every state change and the event recording it
commit in one transaction: `tx.emit(...)` inserts the event inside the same transaction.

The contract every backend keeps (tests/store runs it against each one):
- write transactions are serialised: a read-modify-write inside one never loses an update,
  and callers wait for the lock instead of seeing "database is locked";
- `tx.now` is read after the writer lock is taken, so it never goes backwards in commit order;
- a read-only transaction (`write=False`) refuses a query that writes;
- transactions do not nest: opening one while the same store has one open is an error;
- foreign errors come out as `bosun.base.errors.StoreError` and its subclasses;
- a session lock `(space, key)` is held by at most one open store at a time, across
  processes and hosts, until it is released, the store is closed or its process ends.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = dict[str, Any]


class Tx(Protocol):
    @property
    def now(self) -> float:
        """One timestamp for everything the transaction records."""

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

    def transaction(
        self, *, write: bool = True, durable: bool = True
    ) -> AbstractContextManager[Tx]:
        """A write transaction (serialised with every other writer) or, with write=False, a
        read-only one. durable=False lets a backend commit without waiting for the disk
        (for liveness updates that record no transition); the commit is still atomic."""

    def try_session_lock(self, space: int, key: str) -> bool:
        """Take the lock `(space, key)` for this store's session, without waiting; False
        when another session holds it. Taking a lock this session holds returns True, and
        one release frees it. `space` names what is locked (e.g. the merge queue's 0x6D71)."""

    def holds_session_lock(self, space: int, key: str) -> bool:
        """Whether this session still holds the lock (a reconnect loses it)."""

    def release_session_lock(self, space: int, key: str) -> None:
        """Release the lock if this session holds it."""

    def schema_version(self) -> int: ...

    def schema_dump(self) -> list[tuple[str, ...]]:
        """A normalised description of tables, columns and indexes (for migration tests)."""

    def close(self) -> None: ...
