"""Named queries of agent sessions (bosun.agents)."""

from bosun.store.queries import register

register(
    {
        "agent_session_insert": "INSERT INTO agent_sessions (role, name, incarnation, driver, "
        "socket, session, target, pid, preset, session_id, host, worktree, env, started_at) "
        "VALUES (:role, :name, :incarnation, :driver, :socket, :session, :target, :pid, "
        ":preset, :session_id, :host, :worktree, :env, :started_at)",
        "agent_session_current": "SELECT * FROM agent_sessions WHERE role = :role AND "
        "name = :name ORDER BY incarnation DESC LIMIT 1",
        "agent_session_live": "SELECT * FROM agent_sessions WHERE ended_at IS NULL "
        "AND (:host IS NULL OR host = :host) ORDER BY role, name",
        "agent_session_ready": "UPDATE agent_sessions SET ready_at = :now WHERE role = :role "
        "AND name = :name AND incarnation = :incarnation AND ready_at IS NULL",
        "agent_session_end": "UPDATE agent_sessions SET ended_at = :now, exit_code = :exit_code, "
        "end_reason = :end_reason WHERE role = :role AND name = :name "
        "AND incarnation = :incarnation AND ended_at IS NULL",
        "agent_session_delete_all": "DELETE FROM agent_sessions WHERE role = :role "
        "AND name = :name",
        "agent_session_history": "SELECT * FROM agent_sessions WHERE role = :role AND "
        "name = :name ORDER BY incarnation",
        "agent_session_adopt_host": "UPDATE agent_sessions SET host = :new_host "
        "WHERE host = :old_host AND ended_at IS NULL",
        "agent_session_all_current": "SELECT s.* FROM agent_sessions s JOIN ("
        "SELECT role, name, MAX(incarnation) AS inc FROM agent_sessions GROUP BY role, name) m "
        "ON s.role = m.role AND s.name = m.name AND s.incarnation = m.inc ORDER BY s.role, s.name",
    }
)
