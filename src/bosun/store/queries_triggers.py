"""Named queries for the trigger job queue, its attempts, workers and safeguards (migration 6).

Claiming: SQLite runs the claim inside `BEGIN IMMEDIATE` (the store's write transaction), so
one claimer at a time; PostgreSQL selects in a MATERIALIZED CTE with `FOR UPDATE SKIP LOCKED`
so concurrent claimers never wait on or take each other's rows. Every write that ends a
running attempt checks the lease token (fencing): a worker that lost its lease changes nothing.
"""

from __future__ import annotations

from bosun.store.queries import register, to_pyformat

PENDING = "('queued', 'retry', 'running')"
_LEASE_CLEAR = "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL"
_CLAIM_SET = (
    "state = 'running', lease_owner = :worker, lease_token = :token, "
    "lease_expires_at = :now + :lease, claimed_at = :now, attempts = attempts + 1, "
    "updated_at = :now"
)

_RESCUE_SELECT = (
    "SELECT j.* FROM trigger_jobs j LEFT JOIN trigger_workers w ON w.id = j.lease_owner "
    "WHERE j.state = 'running' AND (w.id IS NULL OR w.state <> 'running' "
    "OR w.heartbeat_at < :cutoff OR j.lease_expires_at < :now) ORDER BY j.id LIMIT :limit"
)

register(
    {
        # jobs
        "trigger_job_insert": "INSERT INTO trigger_jobs (id, thread_id, target_role, "
        "target_name, requested_by, reason, force, force_why, trace_id, state, pending_key, "
        "max_attempts, run_after, upto_seq, hop, outcome, last_reason, finished_at, "
        "created_at, updated_at) VALUES (:id, :thread_id, :target_role, :target_name, "
        ":requested_by, :reason, :force, :force_why, :trace_id, :state, :pending_key, "
        ":max_attempts, :run_after, :upto_seq, :hop, :outcome, :last_reason, :finished_at, "
        ":now, :now) ON CONFLICT DO NOTHING",
        "trigger_job_get": "SELECT * FROM trigger_jobs WHERE id = :id",
        "trigger_job_pending": "SELECT * FROM trigger_jobs WHERE pending_key = :pending_key "
        f"AND state IN {PENDING}",
        "trigger_jobs_list": "SELECT * FROM trigger_jobs WHERE (:state IS NULL OR state = :state) "
        "ORDER BY created_at DESC, id DESC LIMIT :limit",
        "trigger_jobs_count": "SELECT state, COUNT(*) AS n FROM trigger_jobs GROUP BY state",
        # dead or escalated jobs that are still the latest job of their (thread, target):
        # nothing later has woken the target or been asked to
        "trigger_jobs_unresolved": "SELECT j.* FROM trigger_jobs j WHERE j.state IN "
        "('dead', 'escalated') AND NOT EXISTS (SELECT 1 FROM trigger_jobs k WHERE "
        "k.thread_id = j.thread_id AND k.target_role = j.target_role AND "
        "k.target_name = j.target_name AND (k.created_at > j.created_at OR "
        "(k.created_at = j.created_at AND k.id > j.id))) "
        "ORDER BY j.updated_at, j.id LIMIT :limit",
        "trigger_pending_pairs": "SELECT thread_id, target_role, target_name FROM trigger_jobs "
        f"WHERE state IN {PENDING}",
        "trigger_claim": f"UPDATE trigger_jobs SET {_CLAIM_SET} WHERE id IN (SELECT id FROM "
        "trigger_jobs WHERE state IN ('queued', 'retry') AND run_after <= :now "
        "ORDER BY run_after, id LIMIT :n) RETURNING *",
        "trigger_finish": "UPDATE trigger_jobs SET state = :state, hop = :hop, "
        "outcome = :outcome, last_reason = :reason, failures = :failures, "
        f"started_at = :started_at, finished_at = :now, {_LEASE_CLEAR}, updated_at = :now "
        "WHERE id = :id AND lease_token = :token AND state = 'running'",
        # a batch of no-op completions in one transaction (ids: a JSON array)
        "trigger_complete_many": "UPDATE trigger_jobs SET state = 'completed', hop = :hop, "
        "outcome = :reason, last_reason = :reason, started_at = :started_at, "
        f"finished_at = :now, {_LEASE_CLEAR}, updated_at = :now WHERE lease_token = :token "
        "AND state = 'running' AND id IN (SELECT value FROM json_each(:ids)) "
        "RETURNING id, attempts, trace_id, target_role, target_name, thread_id",
        "trigger_attempts_many": "INSERT INTO trigger_attempts (job_id, attempt, worker, hop, "
        "outcome, reason, detail, trace_id, started_at, finished_at) SELECT id, attempts, "
        ":worker, :hop, 'completed', :reason, NULL, trace_id, :started_at, :now "
        "FROM trigger_jobs WHERE id IN (SELECT value FROM json_each(:ids))",
        "trigger_reschedule": "UPDATE trigger_jobs SET state = :state, run_after = :run_after, "
        "deferred_since = :deferred_since, failures = :failures, last_reason = :reason, "
        f"hop = :hop, started_at = :started_at, {_LEASE_CLEAR}, updated_at = :now "
        "WHERE id = :id AND lease_token = :token AND state = 'running'",
        "trigger_rescue_candidates": _RESCUE_SELECT,
        "trigger_rescue_one": "UPDATE trigger_jobs SET state = :state, rescues = rescues + 1, "
        f"run_after = :now, last_reason = :reason, finished_at = :finished_at, {_LEASE_CLEAR}, "
        "outcome = :outcome, updated_at = :now "
        "WHERE id = :id AND lease_token = :token AND state = 'running'",
        "trigger_requeue": "UPDATE trigger_jobs SET state = 'queued', failures = 0, rescues = 0, "
        "run_after = :now, deferred_since = NULL, finished_at = NULL, outcome = NULL, "
        "hop = NULL, last_reason = 'requeued', pending_key = :pending_key, updated_at = :now "
        "WHERE id = :id AND state IN ('dead', 'escalated', 'blocked', 'cancelled')",
        "trigger_release": "UPDATE trigger_jobs SET state = CASE WHEN failures > 0 THEN 'retry' "
        f"ELSE 'queued' END, attempts = attempts - 1, {_LEASE_CLEAR}, updated_at = :now "
        "WHERE id = :id AND lease_token = :token AND state = 'running'",
        # attempts
        "trigger_attempt_insert": "INSERT INTO trigger_attempts (job_id, attempt, worker, hop, "
        "outcome, reason, detail, trace_id, started_at, finished_at) VALUES (:job_id, "
        ":attempt, :worker, :hop, :outcome, :reason, :detail, :trace_id, :started_at, :now)",
        "trigger_attempt_tally": "SELECT job_id, outcome, COUNT(*) AS n FROM trigger_attempts "
        "GROUP BY job_id, outcome",
        "trigger_attempts_for": "SELECT * FROM trigger_attempts WHERE job_id = :job_id ORDER BY id",
        # workers
        "trigger_worker_register": "INSERT INTO trigger_workers (id, host, pid, state, "
        "started_at, heartbeat_at) VALUES (:id, :host, :pid, 'running', :now, :now)",
        "trigger_worker_heartbeat": "UPDATE trigger_workers SET heartbeat_at = :now, "
        "jobs_done = :jobs_done WHERE id = :id AND state = 'running'",
        "trigger_worker_stop": "UPDATE trigger_workers SET state = 'stopped', stopped_at = :now, "
        "jobs_done = :jobs_done WHERE id = :id",
        "trigger_worker_get": "SELECT * FROM trigger_workers WHERE id = :id",
        "trigger_workers_list": "SELECT * FROM trigger_workers ORDER BY started_at DESC, id "
        "LIMIT :limit",
        "trigger_workers_mark_lost": "UPDATE trigger_workers SET state = 'lost', "
        "stopped_at = :now WHERE state = 'running' AND heartbeat_at < :cutoff",
        # pairs (loop safeguards, reconciliation marks)
        "trigger_pair_ensure": "INSERT INTO trigger_pairs (thread_id, target_role, target_name, "
        "updated_at) VALUES (:thread_id, :role, :name, :now) ON CONFLICT DO NOTHING",
        "trigger_pair_get": "SELECT * FROM trigger_pairs WHERE thread_id = :thread_id "
        "AND target_role = :role AND target_name = :name",
        "trigger_pair_save": "UPDATE trigger_pairs SET turns = :turns, fingerprint = "
        ":fingerprint, finding = :finding, finding_seq = :finding_seq, same_findings = "
        ":same_findings, blocked = :blocked, blocked_reason = :blocked_reason, blocked_at = "
        ":blocked_at, triggered_seq = :triggered_seq, updated_at = :now "
        "WHERE thread_id = :thread_id AND target_role = :role AND target_name = :name",
        "trigger_pairs_all": "SELECT * FROM trigger_pairs ORDER BY thread_id, target_role, "
        "target_name",
        "trigger_pairs_blocked": "SELECT * FROM trigger_pairs WHERE blocked = 1 "
        "ORDER BY blocked_at, thread_id",
        # rate-limit buckets
        "trigger_bucket_ensure": "INSERT INTO trigger_buckets (key, tokens, updated_at) "
        "VALUES (:key, :tokens, :now) ON CONFLICT DO NOTHING",
        "trigger_bucket_get": "SELECT * FROM trigger_buckets WHERE key = :key",
        "trigger_bucket_save": "UPDATE trigger_buckets SET tokens = :tokens, "
        "updated_at = :updated_at WHERE key = :key",
        # wake-ups
        "trigger_notify": "SELECT :channel AS channel",
    },
    postgres={
        "trigger_claim": to_pyformat(
            "WITH c AS MATERIALIZED (SELECT id FROM trigger_jobs WHERE state IN "
            "('queued', 'retry') AND run_after <= :now ORDER BY run_after, id LIMIT :n "
            f"FOR UPDATE SKIP LOCKED) UPDATE trigger_jobs j SET {_CLAIM_SET} FROM c "
            "WHERE j.id = c.id RETURNING j.*"
        ),
        "trigger_rescue_candidates": to_pyformat(_RESCUE_SELECT + " FOR UPDATE OF j SKIP LOCKED"),
        "trigger_pair_get": to_pyformat(
            "SELECT * FROM trigger_pairs WHERE thread_id = :thread_id "
            "AND target_role = :role AND target_name = :name FOR UPDATE"
        ),
        "trigger_bucket_get": to_pyformat(
            "SELECT * FROM trigger_buckets WHERE key = :key FOR UPDATE"
        ),
        "trigger_notify": "SELECT pg_notify(%(channel)s, '')",
        "trigger_complete_many": to_pyformat(
            "UPDATE trigger_jobs SET state = 'completed', hop = :hop, outcome = :reason, "
            "last_reason = :reason, started_at = :started_at, finished_at = :now, "
            f"{_LEASE_CLEAR}, updated_at = :now WHERE lease_token = :token AND "
            "state = 'running' AND id IN (SELECT jsonb_array_elements_text(:ids::jsonb)) "
            "RETURNING id, attempts, trace_id, target_role, target_name, thread_id"
        ),
        "trigger_attempts_many": to_pyformat(
            "INSERT INTO trigger_attempts (job_id, attempt, worker, hop, outcome, reason, "
            "detail, trace_id, started_at, finished_at) SELECT id, attempts, :worker, :hop, "
            "'completed', :reason, NULL, trace_id, :started_at, :now FROM trigger_jobs "
            "WHERE id IN (SELECT jsonb_array_elements_text(:ids::jsonb))"
        ),
    },
)
