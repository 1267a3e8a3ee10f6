"""Carrying out the recovery ladder's decisions: nudge, seance restart, context cycle,
escalate — with restart limits (quarantine) and verification of every attempt."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bosun.base.errors import BosunError
from bosun.core.records import IdentityStatus
from bosun.supervisor import recovery_log as log
from bosun.supervisor.policies.detect import Condition
from bosun.supervisor.policies.ladder import (
    Attempt,
    Outcome,
    Step,
    Strategy,
    next_strategy,
    verify,
)
from bosun.supervisor.policies.restart import RestartAction

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.agents.sessions import AgentSession
    from bosun.core.context import Context
    from bosun.core.records import Identity
    from bosun.supervisor.observe import Seen
    from bosun.supervisor.policies.detect import Detection, Observations
    from bosun.supervisor.settings import SupervisorSettings

logger = logging.getLogger("bosun.supervisor")
OPERATOR = "bosun/operator"  # escalations are addressed to the people running the fleet


class Recovery:
    def __init__(self, ctx: Context, fleet: Fleet, settings: SupervisorSettings) -> None:
        self.ctx = ctx
        self.fleet = fleet
        self.settings = settings
        self.not_before: dict[str, float] = {}  # restart backoff, per identity
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
                log.settle_attempt(
                    tx,
                    attempt.id,
                    outcome,
                    "progress seen"
                    if outcome == Outcome.SUCCESS
                    else "no progress within verify_within",
                )

    # -- the ladder -----------------------------------------------------------------------

    def recover(
        self, session: AgentSession, identity: Identity, found: Detection, obs: Observations
    ) -> str | None:
        now = self.ctx.clock.now()
        if not self.settings.guards["recovery_ladder"].enabled:
            return None
        with self.ctx.store.transaction(write=False) as tx:
            history = log.attempt_history(tx, session.ref)
        decision = next_strategy(
            history, found.condition, now, self.settings.ladder, crew=identity.crew
        )
        if decision.step != Step.ACT or decision.strategy is None:
            return None
        strategy = decision.strategy
        if strategy in (Strategy.SEANCE_RESTART, Strategy.CONTEXT_CYCLE):
            with self.ctx.store.transaction(write=False) as tx:
                restarts = log.restart_history(tx, session.ref)
            limit = self.settings.restart.decide(restarts, now)
            if limit.action == RestartAction.QUARANTINE:
                self.quarantine(session, limit.reason, found)
                return f"quarantined ({limit.reason})"
            if now < self.not_before.get(session.ref, 0.0):
                return None
            if limit.delay > 0 and session.ref not in self.not_before:
                self.not_before[session.ref] = limit.restart_at
                return f"restart in {limit.delay:.2g}s (backoff)"
        self.not_before.pop(session.ref, None)
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
                decision.rung,
                detected_at=found.at,
                evidence=found.event_data(),
            )
        assert attempt.id is not None
        try:
            self._run(strategy, session, identity, found)
        except BosunError as exc:
            with self.ctx.store.transaction() as tx:
                log.settle_attempt(tx, attempt.id, Outcome.FAILURE, exc.message)
            return f"{strategy} failed: {exc.message}"
        if strategy == Strategy.ESCALATE:
            with self.ctx.store.transaction() as tx:
                log.settle_attempt(tx, attempt.id, Outcome.ESCALATED, decision.reason)
        return f"{strategy} ({decision.reason})"

    def _run(
        self, strategy: Strategy, session: AgentSession, identity: Identity, found: Detection
    ) -> None:
        role, name = session.role, session.name
        ended = _ended_text(found)
        if strategy == Strategy.NUDGE:
            from bosun.agents.nudges import nudge_text

            type_into(self.fleet, session, nudge_text(self.ctx, role, name))
        elif strategy == Strategy.SEANCE_RESTART:
            self._ack_handoffs(session.ref)
            if found.condition == Condition.CRASHED:
                self._record_crash(role, name, ended)
            self.fleet.restart(
                role, name, reason=f"seance_restart after {found.condition}", ended=ended
            )
        elif strategy == Strategy.CONTEXT_CYCLE:
            self._context_cycle(session, found, ended)
        else:
            self.escalate(
                session.ref, f"{found.condition}: the recovery ladder is exhausted", found
            )

    def _record_crash(self, role: str, name: str, ended: str) -> None:
        """The identity is crashed until its successor runs (visible in status and on the
        dashboard); the restart then starts the next incarnation from there."""
        identity = self.ctx.identities.get(role, name)
        if identity.status in (IdentityStatus.ACTIVE, IdentityStatus.STALE):
            self.ctx.identities.set_status(role, name, IdentityStatus.CRASHED, ended)

    def _context_cycle(self, session: AgentSession, found: Detection, ended: str) -> None:
        """Checkpoint the hook, hand off, and start a fresh session (no resumed context).

        The checkpoint keeps the agent's own note (what is done, what is next): the
        successor resumes from it, so the supervisor never writes over it."""
        role, name = session.role, session.name
        if self.ctx.hooks.find(role, name) is not None:
            self.ctx.hooks.checkpoint(role, name)
        self.ctx.signals.send(
            session.ref, "HANDOFF_REQUESTED", {"reason": str(found.condition), "by": "supervisor"}
        )
        self._ack_handoffs(session.ref)
        self.fleet.restart(
            role, name, fresh=True, reason=f"context_cycle after {found.condition}", ended=ended
        )

    def _ack_handoffs(self, ref: str) -> None:
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
        with self.ctx.store.transaction() as tx:
            tx.emit(
                "supervisor.checkpoint_requested",
                session.ref,
                {"context_pct": pct, "incarnation": session.incarnation},
            )

    def quarantine(self, session: AgentSession, reason: str, found: Detection) -> None:
        from bosun.agents.sessions import end_session

        live = self.fleet.runtime.liveness(self.fleet.handle(session))
        if session.live and not live.dead:
            live = self.fleet.runtime.stop(self.fleet.handle(session), grace=2.0)
        with self.ctx.store.transaction() as tx:
            if session.live and end_session(tx, session, live.exit_code, "quarantined"):
                tx.emit(
                    "agent.ended",
                    session.ref,
                    {
                        "incarnation": session.incarnation,
                        "exit_code": live.exit_code,
                        "signal": live.signal,
                        "reason": "quarantined",
                    },
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

    def _commitments_lost(self, ref: str) -> None:
        """A quarantined identity cannot keep its promises: its open commitments are
        violated with reason session_lost (when the sentinel follows commitments)."""
        if self.ctx.config.get("sentinel.enabled"):
            self.ctx.commitments.session_lost(ref, "the identity was quarantined")

    def escalate(self, ref: str, reason: str, found: Detection) -> None:
        role, name = OPERATOR.split("/")
        self.ctx.identities.create(role, name)
        self.ctx.signals.send(
            OPERATOR,
            "ESCALATION",
            {
                "identity": ref,
                "reason": reason,
                "condition": str(found.condition),
                "evidence": found.evidence,
            },
        )
        with self.ctx.store.transaction() as tx:
            tx.emit(
                "supervisor.escalated", ref, {"reason": reason, "condition": str(found.condition)}
            )


def type_into(fleet: Fleet, session: AgentSession, text: str) -> str:
    """Put `text` in front of the agent now, without blocking the supervisor.

    At its prompt the agent gets the runtime's verified delivery. A busy agent gets the
    text typed ahead (coding CLIs queue what is typed while they work): the verified
    delivery would wait up to `runtime.ready_timeout` for a prompt that a stalled agent
    never shows, and the whole supervisor would wait with it. A permission or trust
    dialog is never typed into (the text could answer it); that nudge fails and the ladder
    moves on.
    """
    from bosun.base.errors import RuntimeFailure
    from bosun.runtime.sanitize import prepare_payload
    from bosun.runtime.screen import ScreenState as RuntimeScreen

    handle = fleet.handle(session)
    state = fleet.runtime.screen_state(handle)
    if state == RuntimeScreen.READY:
        fleet.runtime.send(handle, text)
        return "delivered"
    if state != RuntimeScreen.BUSY:
        raise RuntimeFailure(
            f"{session.ref} shows {state}; nothing was typed",
            f"look at it with `bosun agent capture {session.name}`",
            code="not_typed",
        )
    fleet.runtime.press(handle, " ".join(prepare_payload(text, 4096).split()))
    fleet.runtime.press(handle, "Enter")
    return "typed ahead"


def _ended_text(found: Detection) -> str:
    ev = found.evidence
    if "exit_code" in ev and ev.get("exit_code") is not None:
        return f"{found.condition} (exit code {ev['exit_code']})"
    if "context_pct" in ev:
        return f"{found.condition} at {ev['context_pct']:.0f}% context"
    if "quiet_for_s" in ev:
        return f"{found.condition} after {ev['quiet_for_s']:.0f}s without progress"
    return str(found.condition)
