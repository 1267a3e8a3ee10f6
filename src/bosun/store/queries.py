"""Named SQL queries. Written once with `:name` parameters; a backend adapts the style.

A query that must differ per dialect registers a PostgreSQL variant. The core services'
queries are registered below; each other area registers its own from a module
`bosun/store/queries_<area>.py` listed in `AREAS`. The store loads those modules itself, all
at once, the first time a transaction names a query that is not registered yet: callers
never import a query module. (Loading on that first miss keeps the agents' most frequent
calls, a heartbeat, from paying for the engines' queries.)
"""

from __future__ import annotations

import importlib
import re

QUERIES: dict[str, str] = {}
POSTGRES: dict[str, str] = {}

# The modules under bosun/store/ that register the queries of one area each.
AREAS = (
    "agents",
    "mergequeue",
    "pipeline",
    "sentinel",
    "supervisor",
    "threads",
    "triggers",
    "web",
)
_loaded = False

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


def register(queries: dict[str, str], postgres: dict[str, str] | None = None) -> None:
    for name in queries:
        if name in QUERIES and QUERIES[name] != queries[name]:
            raise ValueError(f"query {name!r} registered twice")
    QUERIES.update(queries)
    POSTGRES.update(postgres or {})


def load_all() -> None:
    """Register the queries of every area (once)."""
    global _loaded
    if not _loaded:
        for area in AREAS:
            importlib.import_module(f"bosun.store.queries_{area}")
        _loaded = True


def sql_for(name: str, dialect: str) -> str:
    if name not in QUERIES:
        load_all()
        if name not in QUERIES:
            raise KeyError(f"no query named {name!r} is registered")
    if dialect == "postgres":
        if name in POSTGRES:
            return POSTGRES[name]
        return to_pyformat(QUERIES[name])
    return QUERIES[name]


def to_pyformat(sql: str) -> str:
    """`:name` → `%(name)s`, and a literal `%` → `%%`, for psycopg."""
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


# A kind prefix arrives as "hook.%" (see core/events.py). It is compared with substr, not
# LIKE: LIKE would read '_' and '%' inside kinds as wildcards, and SQLite's LIKE ignores case.
register(
    {
        # events
        "event_insert": "INSERT INTO events (ts, kind, subject, data) "
        "VALUES (:ts, :kind, :subject, :data) RETURNING id",
        "events_since": "SELECT * FROM events WHERE id > :since "
        "AND (:kind IS NULL OR kind = :kind OR substr(kind, 1, length(:kind_prefix) - 1) "
        "= substr(:kind_prefix, 1, length(:kind_prefix) - 1)) "
        "AND (:subject IS NULL OR subject = :subject) ORDER BY id LIMIT :limit",
        "events_tail": "SELECT * FROM (SELECT * FROM events "
        "WHERE (:kind IS NULL OR kind = :kind OR substr(kind, 1, length(:kind_prefix) - 1) "
        "= substr(:kind_prefix, 1, length(:kind_prefix) - 1)) "
        "AND (:subject IS NULL OR subject = :subject) ORDER BY id DESC LIMIT :limit) t "
        "ORDER BY id",
        "events_max_id": "SELECT COALESCE(MAX(id), 0) AS id FROM events",
        "events_count": "SELECT COUNT(*) AS n FROM events",
        "events_for_subject_since": "SELECT * FROM events WHERE subject = :subject "
        "AND ts >= :since ORDER BY id LIMIT :limit",
        # identities
        "identity_get": "SELECT * FROM identities WHERE role = :role AND name = :name",
        "identity_delete": "DELETE FROM identities WHERE role = :role AND name = :name",
        "identity_insert": "INSERT INTO identities (role, name, status, session_id, incarnation, "
        "runtime, worktree, initiative, host, pid, crew, created_at, updated_at, last_seen) "
        "VALUES (:role, :name, 'active', :session_id, 1, :runtime, :worktree, :initiative, "
        ":host, :pid, :crew, :now, :now, :now) ON CONFLICT (role, name) DO NOTHING",
        "identity_update": "UPDATE identities SET status = :status, session_id = :session_id, "
        "incarnation = :incarnation, runtime = :runtime, worktree = :worktree, "
        "initiative = :initiative, host = :host, pid = :pid, crew = :crew, "
        "status_reason = :status_reason, updated_at = :now WHERE role = :role AND name = :name",
        "identity_heartbeat": "UPDATE identities SET last_seen = :now, "
        "status = CASE WHEN status = 'stale' THEN 'active' ELSE status END "
        "WHERE role = :role AND name = :name RETURNING status",
        # the common heartbeat in one statement: no row means unknown, or stale (a transition)
        "identity_touch": "UPDATE identities SET last_seen = :now "
        "WHERE role = :role AND name = :name AND status <> 'stale' RETURNING *",
        "identity_list": "SELECT * FROM identities WHERE (:role IS NULL OR role = :role) "
        "AND (:status IS NULL OR status = :status) ORDER BY role, name",
        "identity_find_stale": "SELECT * FROM identities WHERE last_seen < :cutoff "
        "AND status NOT IN ('terminated', 'handed_off') ORDER BY last_seen",
        # hooks
        "hook_get": "SELECT * FROM hooks WHERE role = :role AND name = :name",
        "hook_upsert": "INSERT INTO hooks (role, name, work_id, summary, phase, checkpoint_note, "
        "checkpoint_at, resumption, phase_history, pinned_at, updated_at) VALUES (:role, :name, "
        ":work_id, :summary, :phase, :checkpoint_note, :checkpoint_at, :resumption, "
        ":phase_history, :now, :now) ON CONFLICT (role, name) DO UPDATE SET "
        "work_id = excluded.work_id, summary = excluded.summary, phase = excluded.phase, "
        "checkpoint_note = excluded.checkpoint_note, checkpoint_at = excluded.checkpoint_at, "
        "resumption = excluded.resumption, phase_history = excluded.phase_history, "
        "pinned_at = excluded.pinned_at, updated_at = excluded.updated_at",
        "hook_update": "UPDATE hooks SET phase = :phase, checkpoint_note = :checkpoint_note, "
        "checkpoint_at = :checkpoint_at, resumption = :resumption, "
        "phase_history = :phase_history, updated_at = :now "
        "WHERE role = :role AND name = :name",
        "hook_update_returning": "UPDATE hooks SET phase = :phase, "
        "checkpoint_note = :checkpoint_note, checkpoint_at = :checkpoint_at, "
        "resumption = :resumption, phase_history = :phase_history, updated_at = :now "
        "WHERE role = :role AND name = :name RETURNING *",
        "hook_delete": "DELETE FROM hooks WHERE role = :role AND name = :name",
        "hook_list": "SELECT * FROM hooks ORDER BY role, name",
        "hooks_for_work": "SELECT * FROM hooks WHERE work_id = :work_id ORDER BY role, name",
        # work items
        "work_insert": "INSERT INTO work_items (id, title, body, priority, status, wisp, "
        "expires_at, created_at, updated_at) VALUES (:id, :title, :body, :priority, 'open', "
        ":wisp, :expires_at, :now, :now) ON CONFLICT (id) DO NOTHING",
        "work_get": "SELECT * FROM work_items WHERE id = :id",
        "work_set_status": "UPDATE work_items SET status = :status, updated_at = :now "
        "WHERE id = :id AND status = :old_status",
        "work_list": "SELECT * FROM work_items WHERE (:status IS NULL OR status = :status) "
        "AND (:include_wisps = 1 OR wisp = 0) ORDER BY priority, created_at, id",
        "work_ready": "SELECT w.* FROM work_items w WHERE w.status = 'open' "
        "AND (:include_wisps = 1 OR w.wisp = 0) "
        "AND NOT EXISTS (SELECT 1 FROM hooks h WHERE h.work_id = w.id "
        "AND h.phase NOT IN ('released', 'merged')) "
        "ORDER BY w.priority, w.created_at, w.id",
        "work_expired_wisps": "SELECT * FROM work_items WHERE wisp = 1 AND expires_at <= :now",
        "work_delete": "DELETE FROM work_items WHERE id = :id",
        # signals
        "signal_insert": "INSERT INTO signals (id, to_role, to_name, from_role, from_name, type, "
        "payload, created_at) VALUES (:id, :to_role, :to_name, :from_role, :from_name, :type, "
        ":payload, :now) ON CONFLICT (id) DO NOTHING",
        "signal_get": "SELECT * FROM signals WHERE id = :id",
        "signal_ack": "UPDATE signals SET acked_at = :now WHERE id = :id AND acked_at IS NULL",
        "signal_list": "SELECT * FROM signals WHERE (:to_role IS NULL OR "
        "(to_role = :to_role AND to_name = :to_name)) AND (:unread = 0 OR acked_at IS NULL) "
        "AND (:type IS NULL OR type = :type) ORDER BY created_at, id",
    }
)
