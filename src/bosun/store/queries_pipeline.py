"""Named queries of the pipeline engine (the `runs` table)."""

from bosun.store.queries import register

register(
    {
        "run_upsert": "INSERT INTO runs (run_id, graph, logs_root, status, pid, host, detached, "
        "created_at, updated_at) VALUES (:run_id, :graph, :logs_root, :status, :pid, :host, "
        ":detached, :now, :now) ON CONFLICT (run_id) DO UPDATE SET graph = excluded.graph, "
        "logs_root = excluded.logs_root, status = excluded.status, pid = excluded.pid, "
        "host = excluded.host, finished_at = NULL, failure_reason = NULL, "
        "updated_at = excluded.updated_at",
        "run_get": "SELECT * FROM runs WHERE run_id = :run_id",
        "run_set_pid": "UPDATE runs SET pid = :pid, updated_at = :now WHERE run_id = :run_id",
        "run_progress": "UPDATE runs SET current_node = :current_node, "
        "restart_count = :restart_count, updated_at = :now WHERE run_id = :run_id",
        "run_finish": "UPDATE runs SET status = :status, failure_reason = :failure_reason, "
        "current_node = :current_node, restart_count = :restart_count, finished_at = :now, "
        "updated_at = :now WHERE run_id = :run_id",
        "run_list": "SELECT * FROM runs WHERE (:status IS NULL OR status = :status) "
        "ORDER BY created_at DESC, run_id LIMIT :limit",
        "run_delete": "DELETE FROM runs WHERE run_id = :run_id",
    }
)
