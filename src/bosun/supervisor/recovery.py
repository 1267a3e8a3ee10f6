"""Carrying out the recovery ladder's decisions: nudge, seance restart, context cycle,
escalate — with restart limits (quarantine) and verification of every attempt."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bosun.agents.sessions import close_session
from bosun.base.errors import BosunError
from bosun.core.records import IdentityStatus
from bosun.supervisor import recovery_log as log
from bosun.supervisor.policies.ladder import (
    RESTARTING,
    Attempt,
    Outcome,
    Step,
    Strategy,
    verdict_detail,
    verify,
)
from bosun.supervisor.policies.plan import plan_recovery
from bosun.supervisor.policies.restart import hook_key
from bosun.supervisor.strategies import EXECUTORS, type_into

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.agents.sessions import AgentSession
    from bosun.core.context import Context
    from bosun.core.records import Hook, Identity
    from bosun.supervisor.observe import Observer, Seen
    from bosun.supervisor.policies.detect import Detection, Observations
    from bosun.supervisor.typed_settings import SupervisorSettings

logger = logging.getLogger("bosun.supervisor")
OPERATOR = "bosun/operator"  # escalations are addressed to the people running the fleet


class Recovery:
    def __init__(
        self,
        ctx: Context,
        fleet: Fleet,
        settings: SupervisorSettings,
        observer: Observer | None = None,
    ) -> None:
        self.ctx = ctx
        self.fleet = fleet
        self.settings = settings
        self.observer = observer  # told what the supervisor types (its echo is no progress)
        self._pending: dict[str, list[Attempt]] | None = None  # read once per tick

    def load_pending(self) -> None:
        """Read every attempt awaiting verification once, for the whole tick."""
        pending: dict[str, list[Attempt]] = {}
        with self.ctx.store.transaction(write=False) as tx:
            for attempt in log.pending_attempts(tx):
                pending.setdefault(attempt.identity, []).append(attempt)
        self._pending = pending

    def _pending_for(self, ref: str) -> list[Attempt]:
        if self._pending is None:
            self.load_pending()
        assert self._pending is not None
        return self._pending.get(ref, [])

    def has_pending(self, ref: str) -> bool:
        return bool(self._pending_for(ref))

    # -- verification ---------------------------------------------------------------------

    def verify_pending(self, ref: str, obs: Observations, now: float) -> None:
        pending = self._pending_for(ref)
        for attempt in pending:
            if attempt.id is None:
                continue
            outcome = verify(attempt, obs, now, self.settings.ladder.verify_within)
            if outcome == Outcome.PENDING:
                continue
            with self.ctx.store.transaction() as tx:
                log.settle_attempt(tx, attempt.id, outcome, verdict_detail(attempt, obs, outcome))

    # -- the ladder -----------------------------------------------------------------------

    def recover(
        self,
        session: AgentSession,
        identity: Identity,
        found: Detection,
        obs: Observations,
        last_tick: float | None = None,
        hook: Hook | None = None,
    ) -> str | None:
        """Walk the ladder one rung for `session`, as `plan_recovery` decides from the
        recorded attempts, restarts and detection. `last_tick` (the previous tick) tells
        whether a restart's backoff is new, so it is reported once."""
        now = self.ctx.clock.now()
        if not self.settings.guards["recovery_ladder"].enabled:
            return None
        key = hook_key(hook.work_id, str(hook.phase), hook.checkpoint_note) if hook else None
        with self.ctx.store.transaction(write=False) as tx:
            history = log.attempt_history(tx, session.ref)
            restarts = log.restart_history(tx, session.ref)
            detected_at = log.last_detected(tx, session.ref, found.condition)
        plan = plan_recovery(
            history,
            restarts,
            found.condition,
            now,
            self.settings.ladder,
            self.settings.restart,
            crew=identity.crew,
            detected_at=detected_at,
            hook=key,
        )
        if plan.step != Step.ACT or plan.strategy is None or plan.ladder is None:
            return None
        if plan.quarantine:
            self.quarantine(session, plan.reason, found)
            return f"quarantined ({plan.reason})"
        if plan.backing_off and plan.not_before is not None and now < plan.not_before:
            assert plan.restart is not None and plan.due_at is not None
            if last_tick is None or plan.due_at > last_tick:
                return f"restart in {plan.restart.delay:.2g}s (backoff)"
            return None
        strategy, reason = plan.strategy, plan.ladder.reason
        if self.settings.guards["recovery_ladder"].dry_run:
            with self.ctx.store.transaction() as tx:
                tx.emit(
                    "supervisor.recovery_dry_run",
                    session.ref,
                    {"condition": str(found.condition), "strategy": str(strategy)},
                )
            return f"would {strategy} (dry run)"
        with self.ctx.store.transaction() as tx:
            attempt = log.begin_attempt(
                tx,
                session.ref,
                found.condition,
                strategy,
                plan.rung,
                detected_at=found.at,
                evidence={**found.event_data(), "hook": key},
            )
        assert attempt.id is not None
        try:
            EXECUTORS[strategy](self, session, found)
        except BosunError as exc:
            detail = exc.message
            if strategy in RESTARTING and exc.code == "spawn_failed":
                detail = f"session died during start-up: {exc.message}"
            with self.ctx.store.transaction() as tx:
                log.settle_attempt(tx, attempt.id, Outcome.FAILURE, detail)
            return f"{strategy} failed: {detail}"
        if strategy == Strategy.ESCALATE:
            with self.ctx.store.transaction() as tx:
                log.settle_attempt(tx, attempt.id, Outcome.ESCALATED, reason)
        return f"{strategy} ({reason})"

    def typed(self, session: AgentSession) -> None:
        """Text was typed into `session` just now: its echo is not the agent's progress."""
        if self.observer is not None:
            self.observer.typed(session, self.ctx.clock.now())

    def ack_handoffs(self, ref: str) -> None:
        for signal in self.ctx.signals.list(to=ref, unread=True, kind="HANDOFF_REQUESTED"):
            self.ctx.signals.ack(signal.id)

    # -- checkpoint requests, quarantine, escalation --------------------------------------

    def request_checkpoint(self, session: AgentSession, seen: Seen, found: Detection) -> None:
        if seen.checkpoint_requested_at is not None or not session.live:
            return
        if not self.settings.guards["context_cycling"].enabled:
            return
        pct = found.evidence.get("context_pct")
        text = (
            f"Your context window is {pct:.0f}% used. Checkpoint now: commit your work and "
            f'run `bosun hook checkpoint {session.role} {session.name} --note "<what is '
            'done and what is next>"`.'
        )
        seen.checkpoint_requested_at = self.ctx.clock.now()
        try:
            type_into(self.fleet, session, text)
        except BosunError as exc:
            logger.warning("checkpoint request to %s failed: %s", session.ref, exc.message)
            return
        self.typed(session)
        with self.ctx.store.transaction() as tx:
            tx.emit(
                "supervisor.checkpoint_requested",
                session.ref,
                {"context_pct": pct, "incarnation": session.incarnation},
            )

    def quarantine(self, session: AgentSession, reason: str, found: Detection) -> None:
        live = self.fleet.runtime.liveness(self.fleet.handle(session))
        if session.live and not live.dead:
            live = self.fleet.runtime.stop(self.fleet.handle(session), grace=2.0)
        with self.ctx.store.transaction() as tx:
            if session.live:
                close_session(
                    tx, session, "quarantined", exit_code=live.exit_code, signal=live.signal
                )
            self.ctx.identities.set_status_in(
                tx, session.role, session.name, IdentityStatus.QUARANTINED, reason
            )
            tx.emit(
                "supervisor.quarantined",
                session.ref,
                {
                    "reason": reason,
                    "condition": str(found.condition),
                    "incarnation": session.incarnation,
                    "evidence": found.evidence,
                },
            )
        self.escalate(session.ref, f"quarantined: {reason}", found)
        self._commitments_lost(session.ref)

    def quarantine_ended(self, ref: str, reason: str, evidence: dict[str, object]) -> None:
        """Quarantine an identity whose session has already ended (the resume queue's
        revival cap): status `quarantined`, the event and an ESCALATION, so it shows in
        `bosun status` and `agent list` instead of staying `active` with no session."""
        role, name = ref.split("/", 1)
        with self.ctx.store.transaction() as tx:
            self.ctx.identities.set_status_in(tx, role, name, IdentityStatus.QUARANTINED, reason)
            tx.emit("supervisor.quarantined", ref, {"reason": reason, "evidence": evidence})
        self._signal_operator(ref, f"quarantined: {reason}", "revival_cap", evidence)
        self._commitments_lost(ref)

    def _commitments_lost(self, ref: str) -> None:
        """A quarantined identity cannot keep its promises: its open commitments are
        violated with reason session_lost (when the sentinel follows commitments)."""
        if self.ctx.config.flag("sentinel.enabled"):
            self.ctx.commitments.session_lost(ref, "the identity was quarantined")

    def escalate(self, ref: str, reason: str, found: Detection) -> None:
        self._signal_operator(ref, reason, str(found.condition), found.evidence)

    def _signal_operator(
        self, ref: str, reason: str, condition: str, evidence: dict[str, object]
    ) -> None:
        role, name = OPERATOR.split("/")
        self.ctx.identities.create(role, name)
        self.ctx.signals.send(
            OPERATOR,
            "ESCALATION",
            {"identity": ref, "reason": reason, "condition": condition, "evidence": evidence},
        )
        with self.ctx.store.transaction() as tx:
            tx.emit("supervisor.escalated", ref, {"reason": reason, "condition": condition})
