"""Migration 8: agent sessions — one row per incarnation of an identity."""

from bosun.store.schema import Migration

MIGRATION = Migration(
    8,
    "agents",
    (
        """CREATE TABLE agent_sessions (
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            incarnation INTEGER NOT NULL,
            driver TEXT NOT NULL,
            socket TEXT NOT NULL DEFAULT '',
            session TEXT NOT NULL,
            target TEXT NOT NULL,
            pid INTEGER,
            preset TEXT NOT NULL,
            session_id TEXT,
            host TEXT NOT NULL DEFAULT '',
            worktree TEXT,
            env TEXT NOT NULL DEFAULT '{{}}',
            started_at {float} NOT NULL,
            ready_at {float},
            ended_at {float},
            exit_code INTEGER,
            end_reason TEXT,
            PRIMARY KEY (role, name, incarnation)
        )""",
        "CREATE INDEX agent_sessions_live ON agent_sessions (ended_at, role, name)",
    ),
)
