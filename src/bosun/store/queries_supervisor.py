"""Named queries of the supervisor: recovery attempts, the resume queue, guard reports and
patrol nudges (tables from migration 3)."""

from __future__ import annotations

from bosun.store.queries import register

register(
    {
        # recovery attempts (the ladder's rungs and resume-queue revivals)
        "recovery_attempt_insert": "INSERT INTO recovery_attempts (role, name, condition, "
        "strategy, rung, outcome, detected_at, started_at, evidence, detail, entry_id) VALUES "
        "(:role, :name, :condition, :strategy, :rung, :outcome, :detected_at, :now, "
        ":evidence, :detail, :entry_id) RETURNING id",
        "recovery_attempt_get": "SELECT * FROM recovery_attempts WHERE id = :id",
        "recovery_attempt_settle": "UPDATE recovery_attempts SET outcome = :outcome, "
        "decided_at = :now, detail = COALESCE(:detail, detail) "
        "WHERE id = :id AND outcome = 'pending'",
        "recovery_attempts_for": "SELECT * FROM recovery_attempts WHERE role = :role "
        "AND name = :name AND started_at >= :since ORDER BY started_at, id",
        "recovery_attempt_for_entry": "SELECT * FROM recovery_attempts "
        "WHERE entry_id = :entry_id AND outcome = 'pending' ORDER BY id",
        "recovery_attempts_pending": "SELECT * FROM recovery_attempts "
        "WHERE outcome = 'pending' ORDER BY started_at, id",
        "recovery_attempts_by_strategy": "SELECT * FROM recovery_attempts "
        "WHERE strategy = :strategy AND outcome IN ('success', 'failure') "
        "ORDER BY started_at DESC, id DESC LIMIT :limit",
        "event_last_for": "SELECT ts FROM events WHERE subject = :subject AND kind = :kind "
        "ORDER BY id DESC LIMIT 1",
        "recovery_attempts_recent": "SELECT * FROM (SELECT * FROM recovery_attempts "
        "ORDER BY started_at DESC, id DESC LIMIT :limit) t ORDER BY started_at, id",
        # the resume queue
        "resume_insert": "INSERT INTO resume_queue (id, stable_key, role, name, status, cause, "
        "work_id, worktree, evidence, attempts, next_attempt_at, created_at, expires_at, "
        "updated_at) VALUES (:id, :stable_key, :role, :name, 'queued', :cause, :work_id, "
        ":worktree, :evidence, 0, :now, :now, :expires_at, :now)",
        "resume_get": "SELECT * FROM resume_queue WHERE id = :id",
        "resume_open_for": "SELECT * FROM resume_queue WHERE stable_key = :stable_key "
        "AND status IN ('queued', 'starting')",
        "resume_update": "UPDATE resume_queue SET status = :status, attempts = :attempts, "
        "next_attempt_at = :next_attempt_at, last_attempt_at = :last_attempt_at, "
        "last_error = :last_error, reason = :reason, revived_at = :revived_at, "
        "dry_run_at = :dry_run_at, updated_at = :now WHERE id = :id AND status = :old_status",
        "resume_set_expiry": "UPDATE resume_queue SET expires_at = :expires_at WHERE id = :id",
        "resume_list": "SELECT * FROM resume_queue WHERE (:status IS NULL OR status = :status) "
        "ORDER BY created_at, id",
        "resume_revivals": "SELECT revived_at FROM resume_queue WHERE role = :role "
        "AND name = :name AND revived_at IS NOT NULL AND revived_at >= :since "
        "ORDER BY revived_at",
        # guard self-reports
        "guard_report_upsert": "INSERT INTO guard_reports (guard, host, enabled, dry_run, "
        "last_tick, cadence, error, detail) VALUES (:guard, :host, :enabled, :dry_run, :now, "
        ":cadence, :error, :detail) ON CONFLICT (guard, host) DO UPDATE SET "
        "enabled = excluded.enabled, dry_run = excluded.dry_run, last_tick = excluded.last_tick, "
        "cadence = excluded.cadence, error = excluded.error, detail = excluded.detail",
        "guard_report_get": "SELECT * FROM guard_reports WHERE guard = :guard AND host = :host",
        "guard_reports_all": "SELECT * FROM guard_reports ORDER BY guard, host",
        # patrol nudges
        "nudge_insert": "INSERT INTO patrol_nudges (role, name, work_id, phase, text, "
        "created_at) VALUES (:role, :name, :work_id, :phase, :text, :now) RETURNING id",
        "nudge_get": "SELECT * FROM patrol_nudges WHERE id = :id",
        "nudge_mark_delivered": "UPDATE patrol_nudges SET delivered = 1, delivered_at = :now "
        "WHERE id = :id AND delivered = 0 AND response = 'pending'",
        "nudge_set_response": "UPDATE patrol_nudges SET response = :response, "
        "responded_at = :responded_at, evidence = :evidence "
        "WHERE id = :id AND delivered = 1 AND response = 'pending'",
        "nudge_last_patrol": "SELECT MAX(COALESCE(delivered_at, created_at)) AS at "
        "FROM patrol_nudges WHERE role = :role AND name = :name "
        "AND (delivered = 1 OR response = 'undelivered')",
        "nudge_count_since": "SELECT COUNT(*) AS n FROM patrol_nudges WHERE role = :role "
        "AND name = :name AND delivered = 1 AND delivered_at > :since",
        "nudges_awaiting_response": "SELECT * FROM patrol_nudges WHERE delivered = 1 "
        "AND response = 'pending' ORDER BY delivered_at, id",
        "nudges_undelivered": "SELECT * FROM patrol_nudges WHERE delivered = 0 "
        "AND response = 'pending' ORDER BY created_at, id",
        "nudge_abandon": "UPDATE patrol_nudges SET response = 'undelivered', "
        "responded_at = :now WHERE id = :id AND delivered = 0 AND response = 'pending'",
        "nudges_for": "SELECT * FROM patrol_nudges WHERE role = :role AND name = :name "
        "ORDER BY created_at, id",
    }
)
