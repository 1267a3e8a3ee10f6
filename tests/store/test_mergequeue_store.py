"""The merge queue's tables on both backends: one active request per branch, awaiting
approval included, also in a database created before the review step existed."""

from __future__ import annotations

from typing import Any

import pytest
from store_contract import open_backend

from bosun.mergequeue.records import MergeRequest
from bosun.store import schema
from bosun.store.migrations.m009_mergequeue_review import MIGRATION
from bosun.store.protocol import Store
from bosun.store.queries import register

register(
    {
        # what `mq_insert` wrote before the review step: always 'queued'
        "contract_mq_insert_before_review": "INSERT INTO merge_requests (id, branch, target, "
        "status, detail, created_at, updated_at) VALUES (:id, :branch, 'main', 'queued', '{}', "
        ":now, :now)",
    }
)


def _insert(store: Store, request_id: str, branch: str, status: str) -> int:
    params: dict[str, Any] = {
        "id": request_id,
        "branch": branch,
        "target": "main",
        "identity": None,
        "work_id": None,
        "head": None,
        "enqueued_by": None,
        "status": status,
    }
    with store.transaction() as tx:
        return tx.run("mq_insert", **params)


def test_a_branch_has_one_active_request_counting_those_awaiting_approval(
    backend: tuple[str, str],
) -> None:
    store = open_backend(backend)
    try:
        assert _insert(store, "mr-a", "feat/a", "awaiting_approval") == 1
        assert _insert(store, "mr-b", "feat/a", "awaiting_approval") == 0
        assert _insert(store, "mr-c", "feat/a", "queued") == 0
        assert _insert(store, "mr-d", "feat/b", "queued") == 1
        with store.transaction(write=False) as tx:
            row = tx.one("mq_active_for_branch", branch="feat/a", target="main")
            listed = [r["id"] for r in tx.all("mq_list", all=0, target=None)]
        assert row is not None and row["id"] == "mr-a"
        assert listed == ["mr-a", "mr-d"]
    finally:
        store.close()


def test_requests_queued_before_the_review_migration_still_load_and_block_duplicates(
    backend: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = schema.available()
    monkeypatch.setattr(
        schema, "available", lambda: {v: m for v, m in shipped.items() if v < MIGRATION.version}
    )
    old = open_backend(backend)  # an older bosun
    try:
        with old.transaction() as tx:
            tx.run("contract_mq_insert_before_review", id="mr-old", branch="feat/x")
    finally:
        old.close()
    monkeypatch.setattr(schema, "available", lambda: shipped)
    store = open_backend(backend)  # this bosun upgrades the database
    try:
        assert store.schema_version() == max(shipped)
        with store.transaction(write=False) as tx:
            row = tx.one("mq_get", id="mr-old")
        assert row is not None and MergeRequest.from_row(row).status == "queued"
        assert _insert(store, "mr-new", "feat/x", "awaiting_approval") == 0
    finally:
        store.close()
