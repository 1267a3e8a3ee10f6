"""The trigger engine's seams over real agent sessions: probe, deliver, resume, spawn.

The trigger worker never drives tmux itself (bosun.triggers.delivery); this module gives it
the fleet: the identity's current session from the store, liveness and last activity from
the driver, delivery through the exactly-once input protocol, and resume / spawn through
the same seance machinery the supervisor uses.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bosun.base.errors import BosunError, InvalidInput
from bosun.runtime.screen import ScreenState
from bosun.triggers.delivery import DeliveryResult, GitHeadProbe, Seams, SessionProbe
from bosun.triggers.policies.fallback import (
    DELIVERY_UNVERIFIED,
    NOT_READY,
    PANE_DEAD,
    RESUME_FAILED,
    SPAWN_FAILED,
    TARGET_GONE,
    SessionState,
)

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.core.context import Context
    from bosun.core.records import Identity

# How a driver failure reads to the trigger engine.
CLASSIFY = {
    "session_dead": PANE_DEAD,
    "session_gone": TARGET_GONE,
    "not_ready": NOT_READY,
    "not_submitted": DELIVERY_UNVERIFIED,
    "tmux_missing": TARGET_GONE,
}


class FleetSeams:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def probe(self, identity: Identity) -> SessionProbe:
        session = self.fleet.session(identity.role, identity.name)
        if session is None:
            return SessionProbe(SessionState.MISSING, None, "the identity has no session")
        if not session.live:
            return SessionProbe(SessionState.DEAD, None, f"ended: {session.end_reason}")
        handle = self.fleet.handle(session)
        if self.fleet.runtime.liveness(handle).dead:
            return SessionProbe(SessionState.DEAD, None, "its process has exited")
        return SessionProbe(SessionState.LIVE, self._last_activity(handle), session.session)

    def _last_activity(self, handle: object) -> float | None:
        """Now when the agent is visibly working; else tmux's last output time."""
        try:
            if self.fleet.runtime.screen_state(handle) == ScreenState.BUSY:  # type: ignore[arg-type]
                return time.time()
            tmux = getattr(self.fleet.runtime, "tmux", None)
            if tmux is None:
                return None
            stamp = tmux.display(handle.target, "#{window_activity}")  # type: ignore[attr-defined]
            return float(stamp.strip()) if stamp.strip() else None
        except (BosunError, ValueError):
            return None

    def deliver(self, identity: Identity, text: str) -> DeliveryResult:
        try:
            result = self.fleet.send(identity.role, identity.name, text)
        except InvalidInput as exc:
            return DeliveryResult.failed(DELIVERY_UNVERIFIED, exc.message)
        except BosunError as exc:
            return DeliveryResult.failed(CLASSIFY.get(exc.code, TARGET_GONE), exc.message)
        if not result.get("verified", True):
            return DeliveryResult.failed(DELIVERY_UNVERIFIED, "the screen did not confirm it")
        return DeliveryResult.delivered(f"{result['bytes']} bytes")

    def resume(self, identity: Identity, prompt: str) -> DeliveryResult:
        try:
            self.fleet.restart(
                identity.role,
                identity.name,
                reason="trigger: resume",
                ended="its session had died; a message in its thread woke it",
            )
        except BosunError as exc:
            return DeliveryResult.failed(RESUME_FAILED, exc.message)
        return self._then_send(identity, prompt, RESUME_FAILED)

    def spawn(self, identity: Identity, prompt: str) -> DeliveryResult:
        from bosun.agents.fleet import SpawnRequest

        try:
            if self.fleet.session(identity.role, identity.name) is not None:
                self.fleet.restart(
                    identity.role,
                    identity.name,
                    fresh=True,
                    reason="trigger: fresh session",
                    ended="its session was gone when its thread got a message",
                )
                return self._then_send(identity, prompt, SPAWN_FAILED)
            self.fleet.spawn(
                SpawnRequest(
                    name=identity.name,
                    role=identity.role,
                    preset=identity.runtime or "claude",
                    prompt=prompt,
                    worktree=identity.worktree or "auto",
                    crew=identity.crew,
                )
            )
        except BosunError as exc:
            return DeliveryResult.failed(SPAWN_FAILED, exc.message)
        return DeliveryResult.delivered("spawned with the thread summary")

    def _then_send(self, identity: Identity, prompt: str, failure: str) -> DeliveryResult:
        sent = self.deliver(identity, prompt)
        return sent if sent.ok else DeliveryResult.failed(failure, sent.detail)


def fleet_seams(ctx: Context) -> Seams:
    from bosun.agents.driver import project_fleet

    seams = FleetSeams(project_fleet(ctx))
    return Seams(seams, seams, seams, GitHeadProbe())
