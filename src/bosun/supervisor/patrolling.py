"""Patrol: nudge an idle agent that holds unfinished work, and settle each delivered nudge
with the agent's response (or its silence). The decisions are `policies/patrol.py`'s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bosun.base.errors import BosunError
from bosun.supervisor import recovery_log as log
from bosun.supervisor.policies.detect import Observations, ScreenState
from bosun.supervisor.policies.patrol import (
    Compliance,
    PatrolSubject,
    decide_nudge,
    evaluate_compliance,
)
from bosun.supervisor.strategies import type_into

if TYPE_CHECKING:
    from pathlib import Path

    from bosun.agents.fleet import Fleet
    from bosun.agents.sessions import AgentSession
    from bosun.core.context import Context
    from bosun.core.records import Hook, Identity
    from bosun.supervisor.engine import TickReport
    from bosun.supervisor.observe import Observer
    from bosun.supervisor.typed_settings import SupervisorSettings


class Patrol:
    def __init__(
        self, ctx: Context, fleet: Fleet, settings: SupervisorSettings, observer: Observer
    ) -> None:
        self.ctx = ctx
        self.fleet = fleet
        self.settings = settings
        self.observer = observer

    def nudge(
        self,
        session: AgentSession,
        identity: Identity,
        hook: Hook | None,
        obs: Observations,
        now: float,
        report: TickReport,
        pending: bool,
    ) -> None:
        config = self.settings.patrol
        if not self.settings.guards["patrol"].enabled:
            return
        if not pending or obs.screen_state != ScreenState.READY:
            return  # nothing to nudge about: spare the store a read per agent per tick
        # A new session gets a full interval before its first patrol: it was just primed.
        started = session.ready_at or session.started_at
        # Nudges since the agent last moved its hook (or since this session started) make
        # the next one wait longer: a nudge that changes nothing only fills its context.
        moved = max(obs.hook_progress_at or 0.0, started)
        with self.ctx.store.transaction(write=False) as tx:
            last = log.last_patrol(tx, session.ref)
            unanswered = log.nudges_since(tx, session.ref, moved)
        subject = PatrolSubject(
            role=identity.role,
            screen_state=obs.screen_state,
            hook_unfinished=pending,
            work_title=hook.summary if hook else None,
            phase=str(hook.phase) if hook else None,
            crew=identity.crew,
            last_patrol=max(last or 0.0, started),
            unanswered=unanswered,
        )
        decision = decide_nudge(subject, now, config)
        if not decision.nudge or decision.text is None:
            return
        if self.settings.guards["patrol"].dry_run:
            with self.ctx.store.transaction() as tx:
                # Recorded as never delivered, so it paces the next patrol like a real one.
                nudge = log.record_nudge(tx, session.ref, decision.text)
                tx.run("nudge_abandon", id=nudge.id)
                tx.emit(
                    "supervisor.patrol_dry_run",
                    session.ref,
                    {"nudge": nudge.id, "text": decision.text, "reason": decision.reason},
                )
            report.actions.append(f"{session.ref}: would nudge (dry run)")
            return
        with self.ctx.store.transaction() as tx:
            nudge = log.record_nudge(
                tx,
                session.ref,
                decision.text,
                work_id=hook.work_id if hook else None,
                phase=str(hook.phase) if hook else None,
            )
        try:
            type_into(self.fleet, session, decision.text)
        except BosunError as exc:
            report.errors.append(f"{session.ref}: patrol nudge not delivered: {exc.message}")
            return
        self.observer.typed(session, self.ctx.clock.now())
        with self.ctx.store.transaction() as tx:
            log.mark_delivered(tx, nudge.id)
        report.actions.append(f"{session.ref}: patrol nudge")

    def settle_responses(self) -> None:
        """Close each delivered nudge with the agent's response (or its silence)."""
        with self.ctx.store.transaction(write=False) as tx:
            waiting = log.awaiting_response(tx)
        if not waiting:
            return
        now = self.ctx.clock.now()
        sessions = {s.ref: s for s in self.fleet.sessions()}
        for nudge in waiting:
            session = sessions.get(nudge.identity)
            role, name = nudge.identity.split("/", 1)
            identity = self.ctx.identities.find(role, name)
            if session is None or identity is None:
                continue
            obs = self.observer.observe(session, identity, self.ctx.hooks.find(role, name), now)
            result = evaluate_compliance(
                nudge.delivered_at or nudge.created_at,
                obs,
                now,
                self.settings.patrol.compliance_window,
            )
            if result.compliance.value == "pending":
                continue
            with self.ctx.store.transaction() as tx:
                log.record_response(tx, nudge.id, result, self._log_path())
                if result.compliance == Compliance.IGNORED:
                    log.record_ignored_nudge(tx, nudge.identity, nudge.id)

    def _log_path(self) -> Path | None:
        return self.ctx.paths.logs / "patrol.jsonl" if self.ctx.paths else None
