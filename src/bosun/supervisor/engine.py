"""The supervisor's tick: observe every session, decide with the pure policies, act, record.

Deterministic code decides everything (principle 1): detection, the recovery ladder,
restart limits, patrol and the resume queue are pure functions in `policies/`; this module
only gathers their inputs, carries out their decisions through the fleet, and records each
step with its event. No transaction is held while a session starts or text is typed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bosun.agents.sessions import current_session, emit_ended, end_session
from bosun.base.errors import BosunError
from bosun.core.records import IdentityStatus, Phase, WorkStatus
from bosun.runtime.protocol import Liveness
from bosun.supervisor import recovery_log as log
from bosun.supervisor.observe import Observer
from bosun.supervisor.patrolling import Patrol
from bosun.supervisor.policies.detect import (
    Condition,
    Detection,
    Observations,
    classify,
    recovery_condition,
)
from bosun.supervisor.policies.resume import DrainFacts, EndCause, ResumeEntry, SessionEnding
from bosun.supervisor.recovery import Recovery
from bosun.supervisor.resume_queue import ResumeQueue

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.agents.sessions import AgentSession
    from bosun.core.context import Context
    from bosun.core.records import Hook, Identity
    from bosun.supervisor.typed_settings import SupervisorSettings

logger = logging.getLogger("bosun.supervisor")
SKIP_STATUSES = {IdentityStatus.TERMINATED, IdentityStatus.QUARANTINED}
# An ended session is still supervised when its identity crashed (a restart that failed)
# or handed off (the supervisor starts its successor).
RECOVERABLE_ENDED = {IdentityStatus.CRASHED, IdentityStatus.HANDED_OFF}
# Work in these states is done or waiting in the merge queue: nothing for the agent to do.
DONE_OR_QUEUED = {WorkStatus.MERGE_READY, WorkStatus.MERGED, WorkStatus.CLOSED, WorkStatus.REJECTED}


def work_pending(hook: Hook | None, work_status: dict[str, WorkStatus]) -> bool:
    """Does the hook hold work the agent still has to do (not done, not queued to merge)?"""
    if hook is None or not hook.unfinished or hook.phase == Phase.MERGE_READY:
        return False
    return work_status.get(hook.work_id) not in DONE_OR_QUEUED


@dataclass
class TickReport:
    observed: int = 0
    detections: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Supervisor:
    def __init__(self, ctx: Context, fleet: Fleet, settings: SupervisorSettings) -> None:
        self.ctx = ctx
        self.fleet = fleet
        self.settings = settings
        # Screens are looked at often enough to judge stalls and prompts to a tenth of
        # their thresholds, and no more often: with many agents each look costs a capture.
        detect = settings.detect
        look = min(
            max(min(detect.stall_after, detect.waiting_after) / 10, settings.tick_interval), 15.0
        )
        self.observer = Observer(fleet, look_interval=look)
        self.recovery = Recovery(ctx, fleet, settings, self.observer)
        self.resume = ResumeQueue(ctx, settings.resume)
        self.patrol = Patrol(ctx, fleet, settings, self.observer)
        self.last_tick: float | None = None
        self._ready_timeouts: dict[str, float] = {}

    # -- start-up -------------------------------------------------------------------------

    def reconcile(self) -> dict[str, list[str]]:
        """Sessions the store thinks are live but whose pane is gone count as crashed (the
        next tick recovers them); tmux sessions unknown to the store are reported, never
        killed. Work left half-done by a previous supervisor is settled."""
        with self.ctx.store.transaction() as tx:
            abandoned = log.abandon_undelivered(tx)
        self.resume.recover_after_restart()
        known = {s.session for s in self.fleet.live()}
        dead = []
        for session in self.fleet.live():
            if self.fleet.runtime.liveness(self.fleet.handle(session)).dead:
                dead.append(session.ref)
        unknown = []
        list_sessions = getattr(self.fleet.runtime, "list_sessions", None)
        if list_sessions is not None:
            try:
                running = {row.get("session", "") for row in list_sessions()}
            except BosunError:
                running = set()
            unknown = sorted(name for name in running if name and name not in known)
        with self.ctx.store.transaction() as tx:
            tx.emit(
                "supervisor.reconciled",
                "supervisor",
                {
                    "dead": dead,
                    "unknown_sessions": unknown,
                    "abandoned_nudges": [n.id for n in abandoned],
                },
            )
        return {"dead": dead, "unknown": unknown}

    # -- the tick -------------------------------------------------------------------------

    def tick(self, only: str | None = None) -> TickReport:
        """One pass over every session of this host (or only identity `only`)."""
        report = TickReport()
        now = self.ctx.clock.now()
        identities = {i.ref: i for i in self.ctx.identities.list()}
        hooks = {f"{h.role}/{h.name}": h for h in self.ctx.hooks.list()}
        work_status = {w.id: w.status for w in self.ctx.work.list(include_wisps=True)}
        handoffs = self._handoff_requests()
        self.recovery.load_pending()
        watched = []
        for session in self.fleet.sessions():
            if only is not None and session.ref != only:
                continue
            if session.host and session.host != self.fleet.host:
                continue  # tmux is host-local: each host supervises its own sessions
            identity = identities.get(session.ref)
            if identity is None or identity.status in SKIP_STATUSES:
                continue
            if not session.live and identity.status not in RECOVERABLE_ENDED:
                if not self._launch_interrupted(session, identity, now):
                    continue  # ended on purpose (stopped, exited cleanly): nothing to recover
                identity = self.ctx.identities.get(session.role, session.name)
            if self._starting(session, now):
                continue  # its spawner owns it until it is ready (or records its failure)
            watched.append((session, identity))
        self.observer.prefetch([session for session, _ in watched])
        for session, identity in watched:
            try:
                hook = hooks.get(session.ref)
                self._supervise_one(
                    session,
                    identity,
                    hook,
                    handoffs.get(session.ref),
                    now,
                    report,
                    work_pending(hook, work_status),
                )
            except BosunError as exc:
                report.errors.append(f"{session.ref}: {exc.message}")
                logger.warning("supervising %s failed: %s", session.ref, exc.message)
        self.last_tick = now
        return report

    def _supervise_one(
        self,
        session: AgentSession,
        identity: Identity,
        hook: Hook | None,
        handoff_at: float | None,
        now: float,
        report: TickReport,
        pending: bool,
    ) -> None:
        report.observed += 1
        obs = self.observer.observe(
            session,
            identity,
            hook,
            now,
            handoff_at=handoff_at,
            force_look=self.recovery.has_pending(session.ref),
            work_pending=pending,
        )
        self.recovery.verify_pending(session.ref, obs, now)
        detections = classify(obs, now, self.settings.detect)
        if obs.exit_code == 0 and any(d.condition == Condition.CRASHED for d in detections):
            self._clean_exit(session, hook, obs, report)
            return
        self._record_detections(session, detections, report)
        for detection in detections:
            if detection.condition == Condition.CHECKPOINT_DUE:
                self.recovery.request_checkpoint(session, self.observer.seen(session), detection)
        found = recovery_condition(detections)
        if found is not None:
            action = self.recovery.recover(
                session, identity, found, obs, self.last_tick, hook=hook
            )
            if action:
                report.actions.append(f"{session.ref}: {action}")
            return
        if session.live and obs.alive:
            self.patrol.nudge(session, identity, hook, obs, now, report, pending)

    def _launch_interrupted(self, session: AgentSession, identity: Identity, now: float) -> bool:
        """A launcher killed between recording the identity's next incarnation and recording
        its session (a supervisor killed mid-restart) leaves the identity `active` with no
        session: past the time any launcher needs to record one, record it crashed, so the
        ladder starts it again. Returns whether it did."""
        if identity.status != IdentityStatus.ACTIVE or identity.incarnation <= session.incarnation:
            return False
        if now - identity.updated_at < self.fleet.ready_timeout + 5.0:
            return False  # its launcher may still be starting it
        with self.ctx.store.transaction() as tx:
            current = self.ctx.identities.get_in(tx, session.role, session.name)
            recorded = current_session(tx, session.role, session.name)
            if (
                current.status != IdentityStatus.ACTIVE
                or current.incarnation != identity.incarnation
                or (recorded is not None and recorded.incarnation != session.incarnation)
            ):
                return False  # it moved on meanwhile
            reason = f"launch of incarnation {current.incarnation} interrupted: no session"
            self.ctx.identities.set_status_in(
                tx, session.role, session.name, IdentityStatus.CRASHED, reason
            )
            tx.emit(
                "supervisor.launch_interrupted",
                session.ref,
                {"incarnation": current.incarnation, "last_session": session.incarnation},
            )
        return True

    def _starting(self, session: AgentSession, now: float) -> bool:
        if not session.live or session.ready_at is not None:
            return False
        timeout = self._ready_timeouts.get(session.preset)
        if timeout is None:
            try:
                timeout = max(
                    self.fleet.ready_timeout, self.fleet.preset(session.preset).ready_timeout
                )
            except BosunError:
                timeout = self.fleet.ready_timeout
            self._ready_timeouts[session.preset] = timeout
        return now - session.started_at < timeout + 5.0

    def _record_detections(
        self, session: AgentSession, detections: tuple[Detection, ...], report: TickReport
    ) -> None:
        seen = self.observer.seen(session)
        current = {str(d.condition) for d in detections}
        new = [d for d in detections if str(d.condition) not in seen.reported]
        seen.reported = current
        if not new:
            return
        with self.ctx.store.transaction() as tx:
            for detection in new:
                tx.emit(
                    detection.event_kind,
                    session.ref,
                    {**detection.event_data(), "incarnation": session.incarnation},
                )
                report.detections.append(f"{session.ref}: {detection.condition}")

    def _handoff_requests(self) -> dict[str, float]:
        return {
            s.to: s.created_at for s in self.ctx.signals.list(unread=True, kind="HANDOFF_REQUESTED")
        }

    # -- resume queue ---------------------------------------------------------------------

    def _clean_exit(
        self, session: AgentSession, hook: Hook | None, obs: Observations, report: TickReport
    ) -> None:
        """Exit code 0 is not a crash. With unfinished work on the hook the identity goes to
        the resume queue (bounded revivals); otherwise its session simply ended."""
        with self.ctx.store.transaction() as tx:
            if not end_session(tx, session, 0, "exited cleanly"):
                return
            tx.emit(
                "supervisor.exit_detected",
                session.ref,
                {
                    "incarnation": session.incarnation,
                    "exit_code": 0,
                    "exited_at": obs.exited_at,
                    "hook_unfinished": bool(hook and hook.unfinished),
                },
            )
            emit_ended(tx, session, "exited cleanly", exit_code=0)
        if hook is not None and hook.unfinished:
            ending = SessionEnding(
                identity=session.ref,
                cause=EndCause.EXTERNAL,
                hook_unfinished=True,
                work_id=hook.work_id,
                worktree=session.worktree,
                evidence={"exit_code": 0, "incarnation": session.incarnation},
            )
            decision, _ = self.resume.consider(ending)
            report.actions.append(f"{session.ref}: exited cleanly mid-work; {decision.reason}")
            if decision.capped:
                # Nothing will revive it any more: a person must decide, visibly.
                self.recovery.quarantine_ended(
                    session.ref, f"at the revival cap: {decision.reason}", ending.evidence
                )
                report.actions.append(f"{session.ref}: quarantined (revival cap)")

    def drain_resume_queue(self) -> str | None:
        """Revive at most one queued identity this tick (after drain-time validation)."""

        def facts(entry: ResumeEntry) -> DrainFacts:
            ref = entry.identity
            role, name = ref.split("/", 1)
            identity = self.ctx.identities.find(role, name)
            session = self.fleet.session(role, name)
            live = bool(
                session
                and session.live
                and not self.fleet.runtime.liveness(self.fleet.handle(session)).dead
            )
            hook = self.ctx.hooks.find(role, name) if identity else None
            worktree = entry.worktree
            return DrainFacts(
                live_session=live,
                worktree_exists=bool(worktree and Path(worktree).is_dir()),
                identity_status=str(identity.status) if identity else None,
                operator_stopped=bool(
                    session and (session.end_reason or "").startswith("stopped by operator")
                ),
                hook_unfinished=bool(hook and hook.unfinished),
            )

        entry = self.resume.next_revival(facts)
        if entry is None:
            return None
        role, name = entry.identity.split("/", 1)
        try:
            self.fleet.restart(
                role,
                name,
                reason="resume queue revival",
                ended="it exited while its hook held unfinished work",
            )
        except BosunError as exc:
            self.resume.record_result(entry.id, False, exc.message)
            return f"{entry.identity}: revival failed ({exc.message})"
        self.resume.record_result(entry.id, True)
        return f"{entry.identity}: revived from the resume queue"

    # -- what the loop calls on a process exit ------------------------------------------

    def session_exited(self, session: AgentSession, live: Liveness) -> TickReport:
        """Called the moment a session's process exits: recover it now, not next tick.

        The exit event is enough to decide: a deliberate stop (`bosun agent stop`, a
        restart, a handoff) records the session's end before it kills the process, so the
        tick below finds that session ended and does not take the exit for a crash."""
        seen = self.observer.seen(session)
        if seen.exited is None:
            seen.exited, seen.exited_at = live, self.ctx.clock.now()
        return self.tick(only=session.ref)
