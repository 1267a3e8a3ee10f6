"""Transactions: commit, rollback, events in the same transaction, after_commit, misuse."""

from __future__ import annotations

import pytest
from store_contract import open_backend

from bosun.base.errors import StoreError
from bosun.store.protocol import Store
from bosun.store.queries import register

register(
    {
        "contract_missing_table": "SELECT * FROM no_such_table",
        "contract_insert_dup_event": "INSERT INTO events (id, ts, kind, subject, data) "
        "VALUES (:id, :now, 'x.dup', 's', '{}')",
    }
)


def _work_ids(store: Store) -> list[str]:
    with store.transaction(write=False) as tx:
        return [r["id"] for r in tx.all("work_list", status=None, include_wisps=1)]


def _insert_work(tx, work_id: str) -> None:  # type: ignore[no-untyped-def]
    tx.run("work_insert", id=work_id, title="t", body="", priority=2, wisp=0, expires_at=None)


def test_committed_changes_and_their_events_are_visible_together(store: Store) -> None:
    with store.transaction() as tx:
        _insert_work(tx, "bo-0001")
        event_id = tx.emit("work.created", "bo-0001", {"title": "t"})
    assert _work_ids(store) == ["bo-0001"]
    with store.transaction(write=False) as tx:
        events = tx.all(
            "events_since", since=0, kind=None, kind_prefix=None, subject=None, limit=10
        )
    assert [(e["id"], e["kind"], e["subject"]) for e in events] == [
        (event_id, "work.created", "bo-0001")
    ]


def test_an_exception_rolls_back_the_change_and_its_event(store: Store) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as tx:
        _insert_work(tx, "bo-0002")
        tx.emit("work.created", "bo-0002")
        raise RuntimeError("boom")
    assert _work_ids(store) == []
    with store.transaction(write=False) as tx:
        assert tx.one("events_count")["n"] == 0  # type: ignore[index]


def test_after_commit_runs_only_after_the_commit(backend: tuple[str, str], store: Store) -> None:
    other = open_backend(backend)
    seen: list[list[str]] = []
    try:
        with store.transaction() as tx:
            _insert_work(tx, "bo-0003")
            tx.after_commit(lambda: seen.append(_work_ids(other)))
            assert seen == []  # not yet: the transaction is still open
            assert _work_ids(other) == []  # and another connection does not see it
        assert seen == [["bo-0003"]]  # ran once, and saw the committed row
    finally:
        other.close()


def test_after_commit_never_runs_on_rollback(store: Store) -> None:
    ran: list[bool] = []
    with pytest.raises(ValueError), store.transaction() as tx:
        _insert_work(tx, "bo-0004")
        tx.after_commit(lambda: ran.append(True))
        raise ValueError("no")
    assert ran == []


def test_now_is_one_timestamp_per_transaction(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    with store.transaction() as tx:
        first = tx.now
        clock.advance(5)
        assert tx.now == first
        tx.emit("x.one", "s")
    with store.transaction() as tx:
        assert tx.now == first + 5


def test_a_database_error_is_a_store_error_and_the_store_stays_usable(store: Store) -> None:
    with pytest.raises(StoreError) as caught, store.transaction() as tx:
        _insert_work(tx, "bo-0005")
        tx.all("contract_missing_table")
    assert "no_such_table" in caught.value.message
    assert "\n" not in caught.value.message
    assert _work_ids(store) == []  # the insert before the failure was rolled back
    with store.transaction() as tx:
        _insert_work(tx, "bo-0006")
    assert _work_ids(store) == ["bo-0006"]


def test_a_constraint_violation_rolls_back_everything(store: Store) -> None:
    with store.transaction() as tx:
        first = tx.emit("x.first", "s")
    with pytest.raises(StoreError), store.transaction() as tx:
        _insert_work(tx, "bo-0007")
        tx.run("contract_insert_dup_event", id=first)
    assert _work_ids(store) == []


def test_transactions_do_not_nest(store: Store) -> None:
    with store.transaction() as tx:
        _insert_work(tx, "bo-0008")
        with pytest.raises(StoreError, match="already open"), store.transaction():
            pass
    assert _work_ids(store) == ["bo-0008"]  # the outer transaction was not disturbed


def test_a_read_only_transaction_refuses_writes(store: Store) -> None:
    with pytest.raises(StoreError, match="read-only"), store.transaction(write=False) as tx:
        _insert_work(tx, "bo-0009")
    with pytest.raises(StoreError, match="read-only"), store.transaction(write=False) as tx:
        tx.emit("x.y", "s")
    assert _work_ids(store) == []


def test_a_transaction_that_does_nothing_commits_nothing(store: Store) -> None:
    with store.transaction():
        pass
    with store.transaction(durable=False) as tx:
        _insert_work(tx, "bo-0010")
    assert _work_ids(store) == ["bo-0010"]


def test_writes_of_one_store_are_invisible_to_another_until_commit(
    backend: tuple[str, str], store: Store
) -> None:
    other = open_backend(backend)
    try:
        with store.transaction() as tx:
            _insert_work(tx, "bo-0011")
            assert _work_ids(other) == []
        assert _work_ids(other) == ["bo-0011"]
    finally:
        other.close()


def test_schema_is_current_after_open(store: Store) -> None:
    from bosun.store.schema import latest_version

    assert store.schema_version() == latest_version()
    kinds = {entry[0] for entry in store.schema_dump()}
    assert {"column", "index"} <= kinds
