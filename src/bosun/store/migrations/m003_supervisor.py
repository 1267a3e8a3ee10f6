"""Migration 3: the supervisor's state — recovery attempts, the resume queue, guard
self-reports and patrol nudges."""

from bosun.store.schema import Migration

MIGRATION = Migration(
    3,
    "supervisor",
    (
        # One rung of the recovery ladder (or one resume-queue revival) and its outcome.
        """CREATE TABLE recovery_attempts (
            id {pk},
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            condition TEXT NOT NULL,
            strategy TEXT NOT NULL,
            rung INTEGER NOT NULL DEFAULT 0,
            outcome TEXT NOT NULL DEFAULT 'pending',
            detected_at {float},
            started_at {float} NOT NULL,
            decided_at {float},
            evidence TEXT NOT NULL DEFAULT '{{}}',
            detail TEXT,
            entry_id TEXT
        )""",
        "CREATE INDEX recovery_attempts_identity ON recovery_attempts (role, name, started_at)",
        "CREATE INDEX recovery_attempts_outcome ON recovery_attempts (outcome, started_at)",
        "CREATE INDEX recovery_attempts_strategy ON recovery_attempts (strategy, started_at)",
        # Sessions that ended mid-work, waiting to be revived; one open entry per key.
        """CREATE TABLE resume_queue (
            id TEXT PRIMARY KEY,
            stable_key TEXT NOT NULL,
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            cause TEXT NOT NULL,
            work_id TEXT,
            worktree TEXT,
            evidence TEXT NOT NULL DEFAULT '{{}}',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at {float} NOT NULL DEFAULT 0,
            last_attempt_at {float},
            last_error TEXT,
            reason TEXT,
            dry_run_at {float},
            created_at {float} NOT NULL,
            expires_at {float} NOT NULL,
            revived_at {float},
            updated_at {float} NOT NULL
        )""",
        "CREATE UNIQUE INDEX resume_queue_open_key ON resume_queue (stable_key) "
        "WHERE status IN ('queued', 'starting')",
        "CREATE INDEX resume_queue_status ON resume_queue (status, created_at)",
        "CREATE INDEX resume_queue_identity ON resume_queue (role, name, revived_at)",
        # Each guard's runtime self-report, written by the supervisor every tick.
        """CREATE TABLE guard_reports (
            guard TEXT NOT NULL,
            host TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            dry_run INTEGER NOT NULL DEFAULT 0,
            last_tick {float} NOT NULL,
            cadence {float} NOT NULL,
            error TEXT,
            detail TEXT,
            PRIMARY KEY (guard, host)
        )""",
        # Patrol nudges and the responses to them, as pairs. A nudge recorded as delivered
        # is never typed again, even after a supervisor crash.
        """CREATE TABLE patrol_nudges (
            id {pk},
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            work_id TEXT,
            phase TEXT,
            text TEXT NOT NULL,
            created_at {float} NOT NULL,
            delivered INTEGER NOT NULL DEFAULT 0,
            delivered_at {float},
            response TEXT NOT NULL DEFAULT 'pending',
            responded_at {float},
            evidence TEXT NOT NULL DEFAULT '{{}}'
        )""",
        "CREATE INDEX patrol_nudges_identity ON patrol_nudges (role, name, created_at)",
        "CREATE INDEX patrol_nudges_pending ON patrol_nudges (delivered, response)",
    ),
)
