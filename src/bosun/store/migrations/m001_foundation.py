"""Migration 1: events, identities, hooks, work items, signals."""

from bosun.store.schema import Migration

MIGRATION = Migration(
    1,
    "foundation",
    (
        """CREATE TABLE events (
            id {pk},
            ts {float} NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{{}}'
        )""",
        "CREATE INDEX events_kind ON events (kind, id)",
        "CREATE INDEX events_subject ON events (subject, id)",
        """CREATE TABLE identities (
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            status_reason TEXT,
            session_id TEXT,
            incarnation INTEGER NOT NULL DEFAULT 1,
            runtime TEXT,
            worktree TEXT,
            initiative TEXT,
            host TEXT,
            pid INTEGER,
            crew INTEGER NOT NULL DEFAULT 0,
            created_at {float} NOT NULL,
            updated_at {float} NOT NULL,
            last_seen {float} NOT NULL,
            PRIMARY KEY (role, name)
        )""",
        "CREATE INDEX identities_last_seen ON identities (last_seen)",
        """CREATE TABLE hooks (
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            work_id TEXT NOT NULL,
            summary TEXT,
            phase TEXT NOT NULL,
            checkpoint_note TEXT,
            checkpoint_at {float},
            resumption TEXT,
            phase_history TEXT NOT NULL DEFAULT '[]',
            pinned_at {float} NOT NULL,
            updated_at {float} NOT NULL,
            PRIMARY KEY (role, name),
            FOREIGN KEY (role, name) REFERENCES identities (role, name)
        )""",
        "CREATE INDEX hooks_work ON hooks (work_id)",
        """CREATE TABLE work_items (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            priority INTEGER NOT NULL DEFAULT 2,
            status TEXT NOT NULL,
            wisp INTEGER NOT NULL DEFAULT 0,
            expires_at {float},
            created_at {float} NOT NULL,
            updated_at {float} NOT NULL
        )""",
        "CREATE INDEX work_items_status ON work_items (status, priority)",
        """CREATE TABLE signals (
            id TEXT PRIMARY KEY,
            to_role TEXT NOT NULL,
            to_name TEXT NOT NULL,
            from_role TEXT,
            from_name TEXT,
            type TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{{}}',
            created_at {float} NOT NULL,
            acked_at {float}
        )""",
        "CREATE INDEX signals_to ON signals (to_role, to_name, acked_at)",
    ),
)
