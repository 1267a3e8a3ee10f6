"""Migration 5: pipeline runs, visible to `bosun run list/status` and the dashboard while
they run."""

from bosun.store.schema import Migration

MIGRATION = Migration(
    5,
    "pipeline",
    (
        """CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            graph TEXT NOT NULL,
            logs_root TEXT NOT NULL,
            status TEXT NOT NULL,
            pid INTEGER,
            host TEXT,
            detached INTEGER NOT NULL DEFAULT 0,
            current_node TEXT,
            failure_reason TEXT,
            restart_count INTEGER NOT NULL DEFAULT 0,
            created_at {float} NOT NULL,
            updated_at {float} NOT NULL,
            finished_at {float}
        )""",
        "CREATE INDEX runs_status ON runs (status, created_at)",
    ),
)
