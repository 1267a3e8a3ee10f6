"""The sentinel service: observe text → open or update a commitment; follow open ones through.

Sources call `observe` (or `observe_safely` from a hook, where nothing may ever raise): the
Claude Code Stop hook with `last_assistant_message`, and `bosun sentinel observe` (which the sim
agent runs with the text that ends its turn). `check` is one follow-through pass: it returns the
nudges to deliver, and records deliveries, nudges, violations (with an ESCALATION signal) and
expiries. `patrol` = `check` + type the nudges into their sessions; the supervisor runs it on
patrol and `bosun sentinel check` runs it once. `session_lost` violates what a lost session
left open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bosun.agents.driver import project_fleet
from bosun.base.errors import BosunError, Conflict
from bosun.base.names import split_identity
from bosun.core.commitments import Commitment, Commitments, CommitmentStatus
from bosun.sentinel.classifier import Claim, classify_action_claim
from bosun.sentinel.evidence import default_gatherers
from bosun.sentinel.followthrough import (
    Action,
    Decision,
    EvidenceKind,
    Gatherer,
    Probe,
    decide,
    needs_evidence,
    probe,
)
from bosun.sentinel.settings import SentinelSettings

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx

log = logging.getLogger("bosun.sentinel")

DEFAULT_TOPIC = "general"


@dataclass(frozen=True)
class Observation:
    """What observing one text did: `disabled`, `no_claim`, `opened`, `updated`, `capped`."""

    enabled: bool
    identity: str
    action: str
    topic: str | None = None
    claim: Claim | None = None
    commitment: Commitment | None = None
    open_count: int | None = None

    def to_json(self, now: float | None = None) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "identity": self.identity,
            "action": self.action,
            "topic": self.topic,
            "claim": self.claim.to_json() if self.claim else None,
            "commitment": self.commitment.to_json(now) if self.commitment else None,
            "open_count": self.open_count,
        }


@dataclass(frozen=True)
class Nudge:
    """A nudge for the supervisor to type into the identity's session."""

    identity: str
    commitment_id: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"identity": self.identity, "commitment": self.commitment_id, "text": self.text}


@dataclass(frozen=True)
class Outcome:
    commitment_id: str
    identity: str
    action: Action
    reason: str
    evidence: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "commitment": self.commitment_id,
            "identity": self.identity,
            "action": str(self.action),
            "reason": self.reason,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class NudgeDelivery:
    """What typing one nudge into a session did (`patrol`)."""

    identity: str
    commitment_id: str
    delivered: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "commitment": self.commitment_id,
            "delivered": self.delivered,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CheckReport:
    enabled: bool
    open_seen: int = 0
    outcomes: tuple[Outcome, ...] = ()
    nudges: tuple[Nudge, ...] = field(default_factory=tuple)

    def to_json(self, now: float | None = None) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "open_seen": self.open_seen,
            "outcomes": [o.to_json() for o in self.outcomes],
            "nudges": [n.to_json() for n in self.nudges],
        }


@dataclass(frozen=True)
class PatrolReport(CheckReport):
    """A check, and what typing its nudges into the sessions did."""

    deliveries: tuple[NudgeDelivery, ...] = ()

    def to_json(self, now: float | None = None) -> dict[str, Any]:
        return {**super().to_json(now), "deliveries": [d.to_json() for d in self.deliveries]}


# Types a nudge into the identity's session: (identity ROLE/NAME, text) -> a detail to record;
# raises a BosunError when it could not.
NudgeSender = Callable[[str, str], str]


class Sentinel:
    def __init__(
        self,
        ctx: Context,
        gatherers: Mapping[EvidenceKind, Gatherer] | None = None,
        settings: SentinelSettings | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = settings or SentinelSettings.from_config(ctx.config)
        self.commitments = Commitments(ctx)
        self._gatherers = gatherers

    @property
    def gatherers(self) -> Mapping[EvidenceKind, Gatherer]:
        if self._gatherers is None:
            self._gatherers = default_gatherers(self.ctx)
        return self._gatherers

    # -- sources --------------------------------------------------------------------------

    def observe(
        self, identity: str, text: str | bytes | None, topic: str | None = None
    ) -> Observation:
        role, name = split_identity(identity)
        if not self.settings.enabled:
            return Observation(False, identity, "disabled", topic)
        with self.ctx.store.transaction(write=False) as tx:
            self.ctx.identities.get_in(tx, role, name)  # an unknown identity is refused
            if topic is None:
                hook = self.ctx.hooks.find_in(tx, role, name)
                topic = hook.work_id if hook else DEFAULT_TOPIC
        claim = classify_action_claim(text)
        if claim is None:
            return Observation(True, identity, "no_claim", topic)
        s = self.settings
        with self.ctx.store.transaction() as tx:
            recorded = self.commitments.record_in(
                tx,
                identity,
                topic,
                claim.verb,
                claim.quote,
                str(claim.form),
                due_after=s.due_after,
                expiry=s.expiry,
                max_open=s.max_open,
            )
        return Observation(
            True,
            identity,
            recorded.action,
            recorded.commitment.topic if recorded.commitment else topic,
            claim,
            recorded.commitment,
            recorded.open_count,
        )

    # -- follow-through -------------------------------------------------------------------

    def patrol(self, send: NudgeSender | None = None) -> PatrolReport:
        """What the supervisor runs on patrol (and `bosun sentinel check`): follow every open
        commitment through, then type each nudge into its session (`send`, default: the
        fleet's verified delivery). `check` alone only records the nudges as given."""
        report = self.check()
        deliveries = self.deliver_nudges(report.nudges, send) if report.nudges else []
        return PatrolReport(
            report.enabled, report.open_seen, report.outcomes, report.nudges, tuple(deliveries)
        )

    def deliver_nudges(
        self, nudges: Sequence[Nudge], send: NudgeSender | None = None
    ) -> list[NudgeDelivery]:
        """Type each nudge into its identity's session; record `commitment.nudge_delivered`
        or `commitment.nudge_failed`. A nudge is given once: a failed one is not retried, and
        the compliance window runs from the nudge either way."""
        sender = send or self._fleet_sender()
        done: list[NudgeDelivery] = []
        for nudge in nudges:
            try:
                result = NudgeDelivery(
                    nudge.identity, nudge.commitment_id, True, sender(nudge.identity, nudge.text)
                )
            except BosunError as exc:
                result = NudgeDelivery(nudge.identity, nudge.commitment_id, False, exc.message)
            kind = "nudge_delivered" if result.delivered else "nudge_failed"
            with self.ctx.store.transaction() as tx:
                tx.emit(
                    f"commitment.{kind}",
                    nudge.identity,
                    {"id": nudge.commitment_id, "detail": result.detail},
                )
            done.append(result)
        return done

    def _fleet_sender(self) -> NudgeSender:
        fleet = project_fleet(self.ctx)

        def send(identity: str, text: str) -> str:
            role, name = split_identity(identity)
            sent = fleet.send(role, name, text)
            return f"typed {sent.get('bytes', len(text))} bytes" + (
                "" if sent.get("verified", True) else " (not verified on screen)"
            )

        return send

    def check(self) -> CheckReport:
        """One follow-through pass over every open commitment."""
        if not self.settings.enabled:
            return CheckReport(enabled=False)
        open_now = self.commitments.list(status=str(CommitmentStatus.OPEN))
        outcomes: list[Outcome] = []
        nudges: list[Nudge] = []
        for seen in sorted(open_now, key=lambda c: (c.opened_at, c.id)):
            now = self.ctx.clock.now()
            found: Probe | None = None
            if needs_evidence(seen, now):
                found = probe(seen, self.gatherers)  # outside any transaction
            decision = decide(seen, found, now, self.settings.compliance_window)
            if decision.action is Action.WAIT:
                continue
            try:
                with self.ctx.store.transaction() as tx:
                    outcome = self._apply(tx, seen, decision, found, nudges)
            except Conflict:
                continue  # another supervisor closed it first; nothing was written
            if outcome is not None:
                outcomes.append(outcome)
        return CheckReport(True, len(open_now), tuple(outcomes), tuple(nudges))

    def _apply(
        self, tx: Tx, seen: Commitment, decision: Decision, found: Probe | None, nudges: list[Nudge]
    ) -> Outcome | None:
        current = self.commitments.get_in(tx, seen.id)
        if current.status is not CommitmentStatus.OPEN or current.nudged_at != seen.nudged_at:
            return None  # another pass got here first
        evidence: dict[str, Any] | None = None
        if decision.action is Action.DELIVER:
            assert decision.evidence is not None
            evidence = decision.evidence.to_json()
            self.commitments.close_in(
                tx, seen.id, CommitmentStatus.DELIVERED, decision.reason, {"found": evidence}
            )
        elif decision.action is Action.EXPIRE:
            self.commitments.close_in(tx, seen.id, CommitmentStatus.EXPIRED, decision.reason)
        elif decision.action is Action.NUDGE:
            assert decision.text is not None
            if self.commitments.mark_nudged_in(tx, seen.id, decision.text) is None:
                return None
            nudges.append(Nudge(seen.identity, seen.id, decision.text))
        elif decision.action is Action.VIOLATE:
            checked = [str(k) for k in found.checked] if found else []
            self._violate(tx, seen.id, decision.reason, {"checked": checked})
        return Outcome(seen.id, seen.identity, decision.action, decision.reason, evidence)

    def _violate(
        self, tx: Tx, commitment_id: str, reason: str, evidence: dict[str, Any]
    ) -> Commitment:
        return self.commitments.violate_in(tx, commitment_id, reason, evidence)

    def session_lost(self, identity: str, detail: str | None = None) -> list[Commitment]:
        """The identity's session was lost: every open commitment of it is violated."""
        return self.commitments.session_lost(identity, detail)


def observe(
    ctx: Context, identity: str, topic: str | None, text: str | bytes | None
) -> Observation:
    return Sentinel(ctx).observe(identity, text, topic)


def observe_safely(
    ctx: Context, identity: str, topic: str | None, text: str | bytes | None
) -> Observation | None:
    """For hooks: never raises (a broken sentinel must not stop an agent); logs instead."""
    try:
        return observe(ctx, identity, topic, text)
    except Exception as exc:  # noqa: BLE001 - fail open, by design
        log.warning(
            "sentinel: observing a turn of %s failed: %s: %s", identity, type(exc).__name__, exc
        )
        return None
