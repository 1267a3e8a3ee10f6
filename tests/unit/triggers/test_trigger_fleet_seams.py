"""The trigger engine's seams over a fleet: session states and failure classifications come
from the fleet's generic operations and error codes (the fleet knows nothing of triggers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bosun.agents.activity import NO_SESSION, SessionActivity
from bosun.base.errors import InvalidInput, NotFound, RuntimeFailure
from bosun.core.records import Identity, IdentityStatus
from bosun.triggers.fleet_seams import AgentFleet, FleetSeams
from bosun.triggers.policies.fallback import (
    DELIVERY_UNVERIFIED,
    NOT_READY,
    PANE_DEAD,
    RESUME_FAILED,
    SPAWN_FAILED,
    TARGET_GONE,
    SessionState,
)

TOAST = Identity("polecat", "toast", IdentityStatus.ACTIVE, 1, 0.0, 0.0, 0.0, runtime="sim")


@dataclass
class RecordingFleet:
    seen: SessionActivity = NO_SESSION
    send_error: Exception | None = None
    verified: bool = True
    restart_error: Exception | None = None
    has_session: bool = False
    calls: list[str] = field(default_factory=list)

    def activity(self, role: str, name: str) -> SessionActivity:
        return self.seen

    def session(self, role: str, name: str) -> object | None:
        return object() if self.has_session else None

    def send(self, role: str, name: str, text: str) -> Mapping[str, Any]:
        self.calls.append(f"send {text}")
        if self.send_error is not None:
            raise self.send_error
        return {"bytes": len(text), "verified": self.verified}

    def restart(
        self,
        role: str,
        name: str,
        *,
        fresh: bool = False,
        reason: str = "restart",
        ended: str | None = None,
        message: str | None = None,
        automatic: bool = False,
        replace_running: bool = True,
    ) -> object:
        assert not replace_running  # a trigger never replaces a running session
        held = " automatic" if automatic else ""
        self.calls.append(f"restart fresh={fresh} {reason} message={message}{held}")
        if self.restart_error is not None:
            raise self.restart_error
        return None

    def spawn_identity(self, identity: Identity, prompt: str) -> object:
        self.calls.append(f"spawn {identity.ref} {prompt}")
        return None


def _seams(fleet: RecordingFleet) -> FleetSeams:
    typed: AgentFleet = fleet  # the fake satisfies the protocol the engine declares
    return FleetSeams(typed)


def test_probe_maps_the_fleets_activity_to_session_states() -> None:
    fleet = RecordingFleet()
    assert _seams(fleet).probe(TOAST).state is SessionState.MISSING
    fleet.seen = SessionActivity(True, False, "ended: crashed")
    assert _seams(fleet).probe(TOAST).state is SessionState.DEAD
    fleet.seen = SessionActivity(True, True, "bosun-polecat-toast", 123.0)
    probe = _seams(fleet).probe(TOAST)
    assert (probe.state, probe.last_activity, probe.detail) == (
        SessionState.LIVE,
        123.0,
        "bosun-polecat-toast",
    )


def test_delivery_failures_are_classified_by_the_fleets_error_codes() -> None:
    cases = [
        (RuntimeFailure("gone", "x", code="session_dead"), PANE_DEAD),
        (RuntimeFailure("gone", "x", code="not_ready"), NOT_READY),
        (RuntimeFailure("gone", "x", code="something_else"), TARGET_GONE),
        (InvalidInput("too long", "x"), DELIVERY_UNVERIFIED),
        (NotFound("polecat/toast has no running session", "x"), TARGET_GONE),
    ]
    for error, expected in cases:
        result = _seams(RecordingFleet(send_error=error)).deliver(TOAST, "hi")
        assert (result.ok, result.classification) == (False, expected)
    unverified = _seams(RecordingFleet(verified=False)).deliver(TOAST, "hi")
    assert unverified.classification == DELIVERY_UNVERIFIED
    assert _seams(RecordingFleet()).deliver(TOAST, "hi").detail == "2 bytes"


def test_resume_puts_the_wake_up_into_the_resumed_sessions_first_prompt() -> None:
    fleet = RecordingFleet()
    assert _seams(fleet).resume(TOAST, "wake").ok
    # nothing is typed afterwards: the resumed agent starts on its hook at once
    assert fleet.calls == ["restart fresh=False trigger: resume message=wake automatic"]
    failed = _seams(RecordingFleet(restart_error=RuntimeFailure("no", "x"))).resume(TOAST, "w")
    assert failed.classification == RESUME_FAILED


def test_spawn_restarts_fresh_an_identity_with_a_session_else_spawns_it() -> None:
    fleet = RecordingFleet(has_session=True)
    assert _seams(fleet).spawn(TOAST, "summary").ok
    assert fleet.calls == ["restart fresh=True trigger: fresh session message=summary automatic"]
    fresh = RecordingFleet()
    assert _seams(fresh).spawn(TOAST, "summary").ok
    assert fresh.calls == ["spawn polecat/toast summary"]
    refused = RecordingFleet(has_session=True, restart_error=RuntimeFailure("x", "y"))
    assert _seams(refused).spawn(TOAST, "s").classification == SPAWN_FAILED


def test_probe_reports_a_busy_screen_and_an_operators_stop() -> None:
    fleet = RecordingFleet(seen=SessionActivity(True, True, "s", 1.0, screen="busy"))
    assert _seams(fleet).probe(TOAST).busy
    fleet.seen = SessionActivity(True, True, "s", 1.0, screen="waiting_input")
    assert _seams(fleet).probe(TOAST).busy
    fleet.seen = SessionActivity(True, True, "s", 1.0, screen="ready")
    assert not _seams(fleet).probe(TOAST).busy
    fleet.seen = SessionActivity(True, False, "ended: stopped by operator", stopped=True)
    assert _seams(fleet).probe(TOAST).stopped
