"""Named SQL of the merge queue: requests, and per target the adaptive window and (on
SQLite) the processor lease. (On PostgreSQL the lease is the store's session lock.)"""

from __future__ import annotations

from bosun.store.queries import register

_COLUMNS = (
    "status = :status, reason = :reason, detail = :detail, head = :head, base = :base, "
    "candidate = :candidate, landed = :landed, batch_id = :batch_id, attempts = :attempts, "
    "updated_at = :now, finished_at = :finished_at"
)

register(
    {
        "mq_insert": "INSERT INTO merge_requests (id, branch, target, identity, work_id, status, "
        "detail, head, enqueued_by, created_at, updated_at) VALUES (:id, :branch, :target, "
        ":identity, :work_id, :status, '{}', :head, :enqueued_by, :now, :now) "
        "ON CONFLICT DO NOTHING",
        "mq_get": "SELECT * FROM merge_requests WHERE id = :id",
        "mq_active_for_branch": "SELECT * FROM merge_requests WHERE branch = :branch "
        "AND target = :target AND status IN ('awaiting_approval', 'queued', 'testing')",
        "mq_list": "SELECT * FROM merge_requests WHERE (:all = 1 OR status IN "
        "('awaiting_approval', 'queued', 'testing', 'conflict', 'failed', 'rejected')) "
        "AND (CAST(:target AS TEXT) IS NULL OR target = :target) "
        "ORDER BY seq",
        "mq_in_status": "SELECT * FROM merge_requests WHERE target = :target "
        "AND status = :status ORDER BY seq LIMIT :limit",
        "mq_update": f"UPDATE merge_requests SET {_COLUMNS} WHERE id = :id "
        "AND status = :old_status",
        "mq_landed_since": "SELECT * FROM merge_requests WHERE target = :target "
        "AND status = 'merged' AND finished_at >= :since ORDER BY seq",
        "mq_pending_targets": "SELECT DISTINCT target FROM merge_requests "
        "WHERE status IN ('queued', 'testing') ORDER BY target",
        # per-target state: the adaptive window and (on SQLite) the processor lease
        "mt_ensure": "INSERT INTO merge_targets (target, window_size, updated_at) "
        "VALUES (:target, :window_size, :now) ON CONFLICT (target) DO NOTHING",
        "mt_get": "SELECT * FROM merge_targets WHERE target = :target",
        "mt_set_window": "UPDATE merge_targets SET window_size = :window_size, updated_at = :now "
        "WHERE target = :target",
        "mt_lease_acquire": "UPDATE merge_targets SET lease_holder = :holder, "
        "lease_expires_at = :expires_at, updated_at = :now WHERE target = :target AND "
        "(lease_holder IS NULL OR lease_expires_at < :now OR lease_holder = :holder "
        "OR lease_holder = :dead_holder)",
        "mt_lease_renew": "UPDATE merge_targets SET lease_expires_at = :expires_at, "
        "updated_at = :now WHERE target = :target AND lease_holder = :holder",
        "mt_lease_release": "UPDATE merge_targets SET lease_holder = NULL, "
        "lease_expires_at = NULL, updated_at = :now WHERE target = :target "
        "AND lease_holder = :holder",
    }
)
