"""Commitments: concrete actions an identity said it would take, followed until they happen.

A commitment belongs to an identity and a topic (a work item or a thread) and names one
canonical verb. Its `external_key` is a hash of identity + topic + verb, and at most one
commitment per key is open: restating the claim updates that one instead of opening another.
Every change is one transaction with its event (`commitment.opened`, `.updated`, `.nudged`,
`.delivered`, `.violated`, `.expired`, `.withdrawn`).
"""

from __future__ import annotations

import builtins  # the method `list` shadows the builtin in the class's annotations
import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.base.errors import Conflict, InvalidInput, NotFound, OperationFailed
from bosun.base.ids import short_id
from bosun.base.names import check_text, split_identity
from bosun.core.records import check_transition

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx

MAX_TOPIC = 200
MAX_CLAIM = 1024
MAX_REASON = 4096


class CommitmentStatus(StrEnum):
    OPEN = "open"
    DELIVERED = "delivered"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    VIOLATED = "violated"


C = CommitmentStatus
COMMITMENT_TRANSITIONS: dict[CommitmentStatus, frozenset[CommitmentStatus]] = {
    C.OPEN: frozenset({C.DELIVERED, C.EXPIRED, C.WITHDRAWN, C.VIOLATED}),
    C.DELIVERED: frozenset(),
    C.EXPIRED: frozenset(),
    C.WITHDRAWN: frozenset(),
    C.VIOLATED: frozenset(),
}
_EVENT = {
    C.DELIVERED: "delivered",
    C.EXPIRED: "expired",
    C.WITHDRAWN: "withdrawn",
    C.VIOLATED: "violated",
}


def external_key(identity: str, topic: str, verb: str) -> str:
    """The dedupe key: the same identity, topic and verb always give the same key."""
    raw = "\x1f".join(("actionclaim", identity, topic, verb))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True)
class Commitment:
    id: str
    role: str
    name: str
    topic: str
    verb: str
    claim: str  # the agent's own words, quoted back to it
    form: str
    external_key: str
    status: CommitmentStatus
    claims: int  # how many times it was said
    opened_at: float
    last_claimed_at: float
    due_at: float
    expires_at: float
    updated_at: float
    reason: str | None = None
    nudged_at: float | None = None
    closed_at: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> str:
        return f"{self.role}/{self.name}"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Commitment:
        return cls(
            id=row["id"],
            role=row["role"],
            name=row["name"],
            topic=row["topic"],
            verb=row["verb"],
            claim=row["claim"],
            form=row["form"],
            external_key=row["external_key"],
            status=CommitmentStatus(row["status"]),
            claims=int(row["claims"]),
            opened_at=row["opened_at"],
            last_claimed_at=row["last_claimed_at"],
            due_at=row["due_at"],
            expires_at=row["expires_at"],
            updated_at=row["updated_at"],
            reason=row["reason"],
            nudged_at=row["nudged_at"],
            closed_at=row["closed_at"],
            evidence=json.loads(row["evidence"]) if row["evidence"] else {},
        )

    def to_json(self, now: float | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "identity": self.identity,
            "topic": self.topic,
            "verb": self.verb,
            "claim": self.claim,
            "form": self.form,
            "external_key": self.external_key,
            "status": str(self.status),
            "reason": self.reason,
            "claims": self.claims,
            "evidence": self.evidence,
            "nudged": self.nudged_at is not None,
        }
        for key in (
            "opened_at",
            "last_claimed_at",
            "due_at",
            "expires_at",
            "nudged_at",
            "closed_at",
            "updated_at",
        ):
            data[key] = iso(getattr(self, key))
        if now is not None and self.status is CommitmentStatus.OPEN:
            data["overdue_s"] = round(max(0.0, now - self.due_at), 3)
        return data


@dataclass(frozen=True)
class Recorded:
    """What recording a claim did: `opened`, `updated` (restated) or `capped` (refused)."""

    action: str
    commitment: Commitment | None
    open_count: int


class Commitments:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reads ----------------------------------------------------------------------------

    def get(self, commitment_id: str) -> Commitment:
        with self.ctx.store.transaction(write=False) as tx:
            return self.get_in(tx, commitment_id)

    def get_in(self, tx: Tx, commitment_id: str) -> Commitment:
        check_text(commitment_id, "commitment id", 64)
        row = tx.one("commitment_get", id=commitment_id)
        if row is None:
            raise NotFound(
                f"no commitment {commitment_id!r}", "list them with `bosun commitments list`"
            )
        return Commitment.from_row(row)

    # -- writes ---------------------------------------------------------------------------

    def record_in(
        self,
        tx: Tx,
        identity: str,
        topic: str,
        verb: str,
        claim: str,
        form: str,
        *,
        due_after: float,
        expiry: float,
        max_open: int,
    ) -> Recorded:
        """Open a commitment for the claim, or update the open one with the same key.

        A claim that would exceed `max_open` open commitments for the identity and topic is
        refused (`capped`): an agent cannot crowd out its older, still-unmet promises.
        """
        role, name = split_identity(identity)
        topic = check_topic(topic)
        check_text(claim, "claim", MAX_CLAIM)
        self.ctx.identities.get_in(tx, role, name)
        self.expire_due_in(tx, identity)
        key = external_key(identity, topic, verb)
        current = tx.one("commitment_open_by_key", external_key=key)
        if current is None:
            count = self._open_count(tx, role, name, topic)
            if count >= max_open:
                tx.emit(
                    "commitment.capped",
                    identity,
                    {
                        "topic": topic,
                        "verb": verb,
                        "claim": claim,
                        "open": count,
                        "max_open": max_open,
                    },
                )
                return Recorded("capped", None, count)
            new_id = short_id("cm", 4)
            if tx.run(
                "commitment_insert",
                id=new_id,
                role=role,
                name=name,
                topic=topic,
                verb=verb,
                claim=claim,
                form=form,
                external_key=key,
                due_at=tx.now + due_after,
                expires_at=tx.now + expiry,
            ):
                opened = self.get_in(tx, new_id)
                tx.emit("commitment.opened", identity, _event_data(opened))
                return Recorded("opened", opened, count + 1)
            # Another writer opened the same key between our read and insert: restate it.
            current = tx.one("commitment_open_by_key", external_key=key)
            if current is None:  # pragma: no cover - closed again in between
                raise OperationFailed("the commitment changed while recording it", "try again")
        tx.run("commitment_restate", id=current["id"], claim=claim, form=form)
        updated = self.get_in(tx, current["id"])
        tx.emit("commitment.updated", identity, _event_data(updated))
        return Recorded("updated", updated, self._open_count(tx, role, name, topic))

    def close_in(
        self,
        tx: Tx,
        commitment_id: str,
        status: CommitmentStatus,
        reason: str,
        evidence: dict[str, Any] | None = None,
    ) -> Commitment:
        """Move an open commitment to a final status; anything else is refused."""
        check_text(reason, "reason", MAX_REASON)
        current = self.get_in(tx, commitment_id)
        check_transition(COMMITMENT_TRANSITIONS, f"commitment {current.id}", current.status, status)
        merged = {**current.evidence, **(evidence or {})}
        if not tx.run(
            "commitment_set_status",
            id=current.id,
            status=str(status),
            reason=reason,
            evidence=json.dumps(merged, sort_keys=True, default=str),
        ):
            raise Conflict(
                f"commitment {current.id} was closed by another writer",
                "list it again with `bosun commitments show`",
            )
        closed = self.get_in(tx, current.id)
        tx.emit(f"commitment.{_EVENT[status]}", closed.identity, _event_data(closed))
        return closed

    def withdraw(self, commitment_id: str, why: str | None) -> Commitment:
        if why is None or not why.strip():
            raise InvalidInput(
                "a withdrawal needs a reason",
                "say why with --why TEXT, e.g. --why 'the push is not needed'",
            )
        with self.ctx.store.transaction() as tx:
            return self.close_in(tx, commitment_id, CommitmentStatus.WITHDRAWN, why.strip())

    def mark_nudged_in(self, tx: Tx, commitment_id: str, text: str) -> Commitment | None:
        """Record the one nudge; None when it was already nudged or is no longer open."""
        if not tx.run("commitment_mark_nudged", id=commitment_id):
            return None
        nudged = self.get_in(tx, commitment_id)
        tx.emit("commitment.nudged", nudged.identity, {**_event_data(nudged), "text": text})
        return nudged

    def expire_due_in(self, tx: Tx, identity: str | None = None) -> list[Commitment]:
        """Expire every open commitment (of `identity`, or all) whose expiry has passed."""
        role = name = None
        if identity is not None:
            role, name = split_identity(identity)
        rows = tx.all("commitment_expired_open", role=role, name=name)
        return [self.close_in(tx, r["id"], CommitmentStatus.EXPIRED, "expired") for r in rows]

    def violate_in(
        self, tx: Tx, commitment_id: str, reason: str, evidence: dict[str, Any]
    ) -> Commitment:
        """Violate an open commitment and escalate it to its identity."""
        violated = self.close_in(tx, commitment_id, CommitmentStatus.VIOLATED, reason, evidence)
        self.ctx.signals.send_in(
            tx,
            violated.identity,
            "ESCALATION",
            {
                "source": "sentinel",
                "reason": reason,
                "commitment": violated.id,
                "verb": violated.verb,
                "topic": violated.topic,
                "claim": violated.claim,
            },
        )
        return violated

    def session_lost(self, identity: str, detail: str | None = None) -> list[Commitment]:
        """The identity's session was lost (quarantined): its open commitments are violated."""
        role, name = split_identity(identity)
        with self.ctx.store.transaction() as tx:
            self.ctx.identities.get_in(tx, role, name)
            rows = tx.all(
                "commitment_list", role=role, name=name, status="open", topic=None, limit=1000
            )
            return [
                self.violate_in(tx, r["id"], "session_lost", {"session_lost": detail})
                for r in rows
            ]

    def _open_count(self, tx: Tx, role: str, name: str, topic: str) -> int:
        row = tx.one("commitment_count_open", role=role, name=name, topic=topic)
        return int(row["n"]) if row else 0

    def list(
        self,
        identity: str | None = None,
        status: str | None = None,
        topic: str | None = None,
        limit: int = 500,
    ) -> list[Commitment]:
        role = name = None
        if identity is not None:
            role, name = split_identity(identity)
        if status is not None:
            status = str(parse_status(status))
        with self.ctx.store.transaction(write=False) as tx:
            return self.list_in(tx, role, name, status, topic, limit)

    def list_in(
        self,
        tx: Tx,
        role: str | None = None,
        name: str | None = None,
        status: str | None = None,
        topic: str | None = None,
        limit: int = 500,
    ) -> builtins.list[Commitment]:
        """Newest first; `role`/`name` (both or neither), `status` and `topic` filter."""
        rows = tx.all(
            "commitment_list", role=role, name=name, status=status, topic=topic, limit=limit
        )
        return [Commitment.from_row(r) for r in rows]


def _event_data(c: Commitment) -> dict[str, Any]:
    return {
        "id": c.id,
        "topic": c.topic,
        "verb": c.verb,
        "claim": c.claim,
        "status": str(c.status),
        "reason": c.reason,
        "claims": c.claims,
        "evidence": c.evidence,
    }


def check_topic(topic: str) -> str:
    if not isinstance(topic, str) or not topic.strip():
        raise InvalidInput("a commitment needs a topic", "give a work item id or a thread id")
    topic = topic.strip()
    check_text(topic, "topic", MAX_TOPIC)
    if any(ord(ch) < 32 for ch in topic):
        raise InvalidInput(
            "the topic contains control characters", "give a work item id or a thread id"
        )
    return topic


def parse_status(value: str) -> CommitmentStatus:
    try:
        return CommitmentStatus(value)
    except ValueError:
        raise InvalidInput(
            f"unknown commitment status {value!r}",
            "use one of: " + ", ".join(s.value for s in CommitmentStatus),
        ) from None
