"""Named queries for threads, participants and messages (migration 6)."""

from __future__ import annotations

from bosun.store.queries import register

register(
    {
        "thread_insert": "INSERT INTO threads (id, project, title, status, created_by, last_seq, "
        "created_at, updated_at) VALUES (:id, :project, :title, 'open', :created_by, 0, :now, "
        ":now) ON CONFLICT (id) DO NOTHING",
        "thread_get": "SELECT * FROM threads WHERE id = :id",
        "thread_list": "SELECT * FROM threads WHERE (:project IS NULL OR project = :project) "
        "AND (:status IS NULL OR status = :status) ORDER BY created_at, id",
        "thread_close": "UPDATE threads SET status = 'closed', closed_at = :now, "
        "updated_at = :now WHERE id = :id AND status = 'open'",
        "thread_next_seq": "UPDATE threads SET last_seq = last_seq + 1, updated_at = :now "
        "WHERE id = :id AND status = 'open' RETURNING last_seq",
        "participant_insert": "INSERT INTO thread_participants (thread_id, role, name, kind, "
        "read_seq, joined_at) VALUES (:thread_id, :role, :name, :kind, 0, :now) "
        "ON CONFLICT (thread_id, role, name) DO NOTHING",
        "participant_get": "SELECT * FROM thread_participants WHERE thread_id = :thread_id "
        "AND role = :role AND name = :name",
        "participant_list": "SELECT * FROM thread_participants WHERE thread_id = :thread_id "
        "ORDER BY joined_at, role, name",
        "participant_advance": "UPDATE thread_participants SET read_seq = :seq, read_at = :now "
        "WHERE thread_id = :thread_id AND role = :role AND name = :name AND read_seq < :seq",
        # every (participant, thread) pair with its thread's state: the input of reconciliation
        "participant_views": "SELECT p.thread_id, p.role, p.name, p.kind, p.read_seq, "
        "t.project, t.status, t.last_seq, t.title FROM thread_participants p "
        "JOIN threads t ON t.id = p.thread_id "
        "WHERE (:role IS NULL OR (p.role = :role AND p.name = :name)) "
        "ORDER BY p.thread_id, p.role, p.name",
        "message_insert": "INSERT INTO thread_messages (thread_id, seq, author_role, author_name, "
        "body, created_at) VALUES (:thread_id, :seq, :author_role, :author_name, :body, :now)",
        "message_range": "SELECT * FROM thread_messages WHERE thread_id = :thread_id "
        "AND seq > :after ORDER BY seq LIMIT :limit",
        "message_recent": "SELECT * FROM (SELECT * FROM thread_messages WHERE thread_id = "
        ":thread_id ORDER BY seq DESC LIMIT :limit) m ORDER BY seq",
        "thread_notify": "SELECT :thread_id AS thread_id",
        "message_last_by": "SELECT * FROM thread_messages WHERE thread_id = :thread_id "
        "AND author_role = :role AND author_name = :name ORDER BY seq DESC LIMIT 1",
    },
    postgres={
        "thread_notify": "SELECT pg_notify('bosun_threads', %(thread_id)s)",
    },
)
