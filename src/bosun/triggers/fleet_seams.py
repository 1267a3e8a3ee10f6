"""The trigger engine's seams over the fleet: probe, deliver, resume, spawn.

The engine never drives a session itself. What it needs from the fleet is declared here as
`AgentFleet` (`bosun.agents.fleet.Fleet` is one); the composition that starts a trigger
worker (the CLI) passes the project's fleet to `fleet_seams`. The fleet knows nothing of
triggers: this module turns its generic operations and errors into the engine's session
states and delivery classifications.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bosun.base.errors import BosunError, InvalidInput, NotFound
from bosun.core.records import Identity
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

# How a fleet failure (its error code) reads to the trigger engine.
CLASSIFY = {
    "session_dead": PANE_DEAD,
    "session_gone": TARGET_GONE,
    "not_ready": NOT_READY,
    "not_submitted": DELIVERY_UNVERIFIED,
    "tmux_missing": TARGET_GONE,
}
# Screens on which nothing may be typed now: the agent works, or asks a question.
BUSY_SCREENS = frozenset({"busy", "waiting_input"})


class SessionActivityView(Protocol):
    """How an identity's current session is doing (`bosun.agents.activity.SessionActivity`)."""

    @property
    def exists(self) -> bool: ...

    @property
    def running(self) -> bool: ...

    @property
    def detail(self) -> str: ...

    @property
    def last_activity(self) -> float | None: ...

    @property
    def screen(self) -> str | None: ...  # ready, busy, waiting_input…; None when unknown

    @property
    def stopped(self) -> bool: ...  # its last session was ended by an operator


class AgentFleet(Protocol):
    """The fleet operations the trigger engine uses. Failures raise `BosunError`s whose
    `code` says what happened (see `CLASSIFY`). Results typed `object` are not read: only
    whether they raised (and, for `session`, whether there is one)."""

    def activity(self, role: str, name: str) -> SessionActivityView: ...

    def session(self, role: str, name: str) -> object | None: ...

    def send(self, role: str, name: str, text: str) -> Mapping[str, Any]: ...

    def restart(
        self,
        role: str,
        name: str,
        *,
        fresh: bool = ...,
        reason: str = ...,
        ended: str | None = ...,
        message: str | None = ...,
        automatic: bool = ...,
        replace_running: bool = ...,
    ) -> object:
        """`message`: put into the new session's first prompt. `automatic`: refuse
        (`Conflict`) when the identity is terminated or an operator stopped it.
        `replace_running` false: refuse (`Conflict`) when its session is running."""
        ...

    def spawn_identity(self, identity: Identity, prompt: str) -> object:
        """Start a registered identity with `prompt` first; refused (`Conflict`) when it is
        terminated or an operator stopped it."""
        ...


class FleetSeams:
    """`Deliverer`, `Resumer` and `Spawner` over an `AgentFleet`."""

    def __init__(self, fleet: AgentFleet) -> None:
        self.fleet = fleet

    def probe(self, identity: Identity) -> SessionProbe:
        seen = self.fleet.activity(identity.role, identity.name)
        if not seen.exists:
            return SessionProbe(SessionState.MISSING, None, seen.detail)
        if not seen.running:
            return SessionProbe(SessionState.DEAD, None, seen.detail, stopped=seen.stopped)
        return SessionProbe(
            SessionState.LIVE, seen.last_activity, seen.detail, busy=seen.screen in BUSY_SCREENS
        )

    def deliver(self, identity: Identity, text: str) -> DeliveryResult:
        try:
            result = self.fleet.send(identity.role, identity.name, text)
        except NotFound as exc:  # its session ended meanwhile (e.g. an operator stopped it)
            return DeliveryResult.failed(TARGET_GONE, exc.message)
        except InvalidInput as exc:
            return DeliveryResult.failed(DELIVERY_UNVERIFIED, exc.message)
        except BosunError as exc:
            return DeliveryResult.failed(CLASSIFY.get(exc.code, TARGET_GONE), exc.message)
        if not result.get("verified", True):
            return DeliveryResult.failed(DELIVERY_UNVERIFIED, "the screen did not confirm it")
        return DeliveryResult.delivered(f"{result['bytes']} bytes")

    def resume(self, identity: Identity, prompt: str) -> DeliveryResult:
        """Resume the conversation with `prompt` in the new session's first prompt: a woken
        agent starts on its hook at once, so nothing could be typed into it afterwards."""
        try:
            self.fleet.restart(
                identity.role,
                identity.name,
                reason="trigger: resume",
                ended="its session had died; a message in its thread woke it",
                message=prompt,
                automatic=True,
                replace_running=False,
            )
        except BosunError as exc:
            return DeliveryResult.failed(RESUME_FAILED, exc.message)
        return DeliveryResult.delivered("in the resumed session's first prompt")

    def spawn(self, identity: Identity, prompt: str) -> DeliveryResult:
        try:
            if self.fleet.session(identity.role, identity.name) is not None:
                self.fleet.restart(
                    identity.role,
                    identity.name,
                    fresh=True,
                    reason="trigger: fresh session",
                    ended="its session was gone when its thread got a message",
                    message=prompt,
                    automatic=True,
                    replace_running=False,
                )
            else:
                self.fleet.spawn_identity(identity, prompt)
        except BosunError as exc:
            return DeliveryResult.failed(SPAWN_FAILED, exc.message)
        return DeliveryResult.delivered("spawned with the thread summary")


def fleet_seams(fleet: AgentFleet) -> Seams:
    """The trigger engine's seams over real agent sessions."""
    seams = FleetSeams(fleet)
    return Seams(seams, seams, seams, GitHeadProbe())
