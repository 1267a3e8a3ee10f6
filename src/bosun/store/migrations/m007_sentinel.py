"""Migration 7: commitments opened by the action-claim sentinel."""

from bosun.store.schema import Migration

MIGRATION = Migration(
    7,
    "sentinel",
    (
        """CREATE TABLE commitments (
            id TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            topic TEXT NOT NULL,
            verb TEXT NOT NULL,
            claim TEXT NOT NULL,
            form TEXT NOT NULL,
            external_key TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            claims INTEGER NOT NULL DEFAULT 1,
            opened_at {float} NOT NULL,
            last_claimed_at {float} NOT NULL,
            due_at {float} NOT NULL,
            expires_at {float} NOT NULL,
            nudged_at {float},
            closed_at {float},
            evidence TEXT NOT NULL DEFAULT '{{}}',
            updated_at {float} NOT NULL,
            FOREIGN KEY (role, name) REFERENCES identities (role, name)
        )""",
        # One open commitment per key: a restated claim updates it instead of adding one.
        "CREATE UNIQUE INDEX commitments_open_key ON commitments (external_key) "
        "WHERE status = 'open'",
        "CREATE INDEX commitments_identity ON commitments (role, name, topic, status)",
        "CREATE INDEX commitments_status_due ON commitments (status, due_at)",
    ),
)
