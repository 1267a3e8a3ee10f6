"""Read-only named queries of the dashboard (bosun.web): recent rows across identities."""

from bosun.store.queries import register

register(
    {
        "web_nudges_recent": "SELECT * FROM (SELECT * FROM patrol_nudges "
        "ORDER BY created_at DESC, id DESC LIMIT :limit) t ORDER BY created_at, id",
        "web_attempts_recent": "SELECT * FROM (SELECT * FROM recovery_attempts "
        "ORDER BY started_at DESC, id DESC LIMIT :limit) t ORDER BY started_at, id",
        "web_escalated_attempts": "SELECT * FROM recovery_attempts WHERE outcome = 'escalated' "
        "ORDER BY started_at DESC, id DESC LIMIT :limit",
        "web_signals_recent": "SELECT * FROM signals ORDER BY created_at DESC, id DESC "
        "LIMIT :limit",
        "web_signals_unread_count": "SELECT COUNT(*) AS n FROM signals WHERE acked_at IS NULL",
        "web_merge_targets": "SELECT * FROM merge_targets ORDER BY target",
        "web_merge_recent": "SELECT * FROM (SELECT * FROM merge_requests "
        "ORDER BY seq DESC LIMIT :limit) t ORDER BY seq",
        "web_work_counts": "SELECT status, wisp, COUNT(*) AS n FROM work_items "
        "GROUP BY status, wisp",
    }
)
