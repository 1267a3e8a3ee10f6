"""Migration 9: the merge queue's review step. A request awaiting approval is active, so a
branch still has at most one active request (`awaiting_approval`, `queued` or `testing`).
The status column is free text: existing rows keep their statuses unchanged."""

from bosun.store.schema import Migration

MIGRATION = Migration(
    9,
    "mergequeue_review",
    (
        "DROP INDEX merge_requests_active_branch",
        "CREATE UNIQUE INDEX merge_requests_active_branch ON merge_requests (branch, target) "
        "WHERE status IN ('awaiting_approval', 'queued', 'testing')",
    ),
)
