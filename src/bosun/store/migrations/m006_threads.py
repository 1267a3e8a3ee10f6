"""Migration 6: threads, participants, messages; trigger jobs, attempts, workers, safeguards."""

from bosun.store.schema import Migration

MIGRATION = Migration(
    6,
    "threads",
    (
        """CREATE TABLE threads (
            id TEXT PRIMARY KEY,
            project TEXT NOT NULL,
            title TEXT NOT NULL,
            status TEXT NOT NULL,
            created_by TEXT NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            created_at {float} NOT NULL,
            updated_at {float} NOT NULL,
            closed_at {float}
        )""",
        "CREATE INDEX threads_project ON threads (project, status)",
        """CREATE TABLE thread_participants (
            thread_id TEXT NOT NULL REFERENCES threads (id),
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            read_seq INTEGER NOT NULL DEFAULT 0,
            joined_at {float} NOT NULL,
            read_at {float},
            PRIMARY KEY (thread_id, role, name)
        )""",
        "CREATE INDEX thread_participants_member ON thread_participants (role, name)",
        """CREATE TABLE thread_messages (
            thread_id TEXT NOT NULL REFERENCES threads (id),
            seq INTEGER NOT NULL,
            author_role TEXT NOT NULL,
            author_name TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at {float} NOT NULL,
            PRIMARY KEY (thread_id, seq)
        )""",
        "CREATE INDEX thread_messages_author ON thread_messages (thread_id, author_role, "
        "author_name, seq)",
        """CREATE TABLE trigger_jobs (
            id TEXT PRIMARY KEY,
            thread_id TEXT NOT NULL,
            target_role TEXT NOT NULL,
            target_name TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            reason TEXT,
            force INTEGER NOT NULL DEFAULT 0,
            force_why TEXT,
            trace_id TEXT NOT NULL,
            state TEXT NOT NULL,
            pending_key TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            rescues INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            run_after {float} NOT NULL,
            deferred_since {float},
            lease_owner TEXT,
            lease_token TEXT,
            lease_expires_at {float},
            claimed_at {float},
            started_at {float},
            finished_at {float},
            hop TEXT,
            outcome TEXT,
            last_reason TEXT,
            upto_seq INTEGER NOT NULL DEFAULT 0,
            created_at {float} NOT NULL,
            updated_at {float} NOT NULL
        )""",
        # the claim walks this in order and stops after LIMIT rows: no sort of the backlog
        "CREATE INDEX trigger_jobs_ready ON trigger_jobs (run_after, id) "
        "WHERE state IN ('queued', 'retry')",
        "CREATE INDEX trigger_jobs_state ON trigger_jobs (state)",
        "CREATE INDEX trigger_jobs_pair ON trigger_jobs (thread_id, target_role, target_name)",
        "CREATE INDEX trigger_jobs_owner ON trigger_jobs (lease_owner)",
        # One pending (queued, retrying or running) job per thread and target: repeats get it.
        "CREATE UNIQUE INDEX trigger_jobs_pending ON trigger_jobs (pending_key) "
        "WHERE state IN ('queued', 'retry', 'running')",
        """CREATE TABLE trigger_attempts (
            id {pk},
            job_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            worker TEXT,
            hop TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT,
            trace_id TEXT NOT NULL,
            started_at {float} NOT NULL,
            finished_at {float} NOT NULL
        )""",
        "CREATE INDEX trigger_attempts_job ON trigger_attempts (job_id, id)",
        """CREATE TABLE trigger_workers (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            state TEXT NOT NULL,
            started_at {float} NOT NULL,
            heartbeat_at {float} NOT NULL,
            stopped_at {float},
            jobs_done INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE trigger_pairs (
            thread_id TEXT NOT NULL,
            target_role TEXT NOT NULL,
            target_name TEXT NOT NULL,
            turns INTEGER NOT NULL DEFAULT 0,
            fingerprint TEXT NOT NULL DEFAULT '',
            finding TEXT NOT NULL DEFAULT '',
            finding_seq INTEGER NOT NULL DEFAULT 0,
            same_findings INTEGER NOT NULL DEFAULT 0,
            triggered_seq INTEGER NOT NULL DEFAULT 0,
            blocked INTEGER NOT NULL DEFAULT 0,
            blocked_reason TEXT,
            blocked_at {float},
            updated_at {float} NOT NULL,
            PRIMARY KEY (thread_id, target_role, target_name)
        )""",
        """CREATE TABLE trigger_buckets (
            key TEXT PRIMARY KEY,
            tokens {float} NOT NULL,
            updated_at {float} NOT NULL
        )""",
    ),
)
