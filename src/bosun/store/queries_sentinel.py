"""Named queries of the action-claim sentinel: commitments and the evidence it reads."""

from __future__ import annotations

from bosun.store.queries import register

_COLUMNS = (
    "id, role, name, topic, verb, claim, form, external_key, status, reason, claims, "
    "opened_at, last_claimed_at, due_at, expires_at, nudged_at, closed_at, evidence, updated_at"
)

register(
    {
        "commitment_insert": f"INSERT INTO commitments ({_COLUMNS}) VALUES (:id, :role, :name, "
        ":topic, :verb, :claim, :form, :external_key, 'open', NULL, 1, :now, :now, :due_at, "
        ":expires_at, NULL, NULL, '{}', :now) "
        "ON CONFLICT (external_key) WHERE status = 'open' DO NOTHING",
        "commitment_get": "SELECT * FROM commitments WHERE id = :id",
        "commitment_open_by_key": "SELECT * FROM commitments "
        "WHERE external_key = :external_key AND status = 'open'",
        "commitment_restate": "UPDATE commitments SET claim = :claim, form = :form, "
        "claims = claims + 1, last_claimed_at = :now, updated_at = :now "
        "WHERE id = :id AND status = 'open'",
        "commitment_count_open": "SELECT COUNT(*) AS n FROM commitments "
        "WHERE role = :role AND name = :name AND topic = :topic AND status = 'open'",
        "commitment_set_status": "UPDATE commitments SET status = :status, reason = :reason, "
        "evidence = :evidence, closed_at = :now, updated_at = :now "
        "WHERE id = :id AND status = 'open'",
        "commitment_mark_nudged": "UPDATE commitments SET nudged_at = :now, updated_at = :now "
        "WHERE id = :id AND status = 'open' AND nudged_at IS NULL",
        "commitment_list": "SELECT * FROM commitments "
        "WHERE (:role IS NULL OR (role = :role AND name = :name)) "
        "AND (:status IS NULL OR status = :status) "
        "AND (:topic IS NULL OR topic = :topic) "
        "ORDER BY opened_at DESC, id LIMIT :limit",
        "commitment_expired_open": "SELECT * FROM commitments "
        "WHERE status = 'open' AND expires_at <= :now "
        "AND (:role IS NULL OR (role = :role AND name = :name)) ORDER BY opened_at, id",
    }
)
