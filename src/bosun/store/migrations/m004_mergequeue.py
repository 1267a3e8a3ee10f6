"""Migration 4: the merge queue's requests and its per-target state (window, lease)."""

from bosun.store.schema import Migration

MIGRATION = Migration(
    4,
    "mergequeue",
    (
        """CREATE TABLE merge_requests (
            seq {pk},
            id TEXT NOT NULL UNIQUE,
            branch TEXT NOT NULL,
            target TEXT NOT NULL,
            identity TEXT,
            work_id TEXT,
            status TEXT NOT NULL,
            reason TEXT,
            detail TEXT NOT NULL DEFAULT '{{}}',
            head TEXT,
            base TEXT,
            candidate TEXT,
            landed TEXT,
            batch_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            enqueued_by TEXT,
            created_at {float} NOT NULL,
            updated_at {float} NOT NULL,
            finished_at {float}
        )""",
        "CREATE INDEX merge_requests_queue ON merge_requests (target, status, seq)",
        "CREATE UNIQUE INDEX merge_requests_active_branch ON merge_requests (branch, target) "
        "WHERE status IN ('queued', 'testing')",
        """CREATE TABLE merge_targets (
            target TEXT PRIMARY KEY,
            window_size INTEGER NOT NULL DEFAULT 1,
            lease_holder TEXT,
            lease_expires_at {float},
            updated_at {float} NOT NULL
        )""",
    ),
)
