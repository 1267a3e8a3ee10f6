"""The recovery ladder's strategies: one function each, registered by its `Strategy` member.

A strategy is a member of `Strategy` (policies/ladder.py, which decides *when* it runs)
plus one function here (which carries it out) plus its line in `EXECUTORS`. The config's
list of allowed strategies is built from the enum (settings.py), so nothing else changes.
See CONTRIBUTING.md, "Extension points: a ladder strategy".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bosun.agents.nudges import nudge_text
from bosun.base.errors import RuntimeFailure
from bosun.core.records import IdentityStatus
from bosun.runtime.sanitize import prepare_payload
from bosun.runtime.screen import ScreenState as RuntimeScreen
from bosun.supervisor.policies.detect import Condition, Detection
from bosun.supervisor.policies.ladder import Strategy

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.agents.sessions import AgentSession
    from bosun.supervisor.recovery import Recovery

# Carries out one rung for `session`, which shows `found`; raises BosunError when it fails.
Executor = Callable[["Recovery", "AgentSession", Detection], None]


def nudge(rec: Recovery, session: AgentSession, found: Detection) -> None:
    """Type a role-aware nudge into the session."""
    type_into(rec.fleet, session, nudge_text(rec.ctx, session.role, session.name))
    rec.typed(session)


def seance_restart(rec: Recovery, session: AgentSession, found: Detection) -> None:
    """Kill and respawn with the identity, its hook and the predecessor's context."""
    role, name = session.role, session.name
    ended = ended_text(found)
    rec.ack_handoffs(session.ref)
    if found.condition == Condition.CRASHED:
        # The identity is crashed until its successor runs (visible in status and on the
        # dashboard); the restart then starts the next incarnation from there.
        identity = rec.ctx.identities.get(role, name)
        if identity.status in (IdentityStatus.ACTIVE, IdentityStatus.STALE):
            rec.ctx.identities.set_status(role, name, IdentityStatus.CRASHED, ended)
    rec.fleet.restart(role, name, reason=f"seance_restart after {found.condition}", ended=ended)


def context_cycle(rec: Recovery, session: AgentSession, found: Detection) -> None:
    """Checkpoint the hook, hand off, and start a fresh session (no resumed context).

    The checkpoint keeps the agent's own note (what is done, what is next): the successor
    resumes from it, so the supervisor never writes over it."""
    role, name = session.role, session.name
    if rec.ctx.hooks.find(role, name) is not None:
        rec.ctx.hooks.checkpoint(role, name)
    rec.ctx.signals.send(
        session.ref, "HANDOFF_REQUESTED", {"reason": str(found.condition), "by": "supervisor"}
    )
    rec.ack_handoffs(session.ref)
    rec.fleet.restart(
        role,
        name,
        fresh=True,
        reason=f"context_cycle after {found.condition}",
        ended=ended_text(found),
    )


def escalate(rec: Recovery, session: AgentSession, found: Detection) -> None:
    """ESCALATION signal and event: a person decides."""
    rec.escalate(session.ref, f"{found.condition}: the recovery ladder is exhausted", found)


EXECUTORS: dict[Strategy, Executor] = {
    Strategy.NUDGE: nudge,
    Strategy.SEANCE_RESTART: seance_restart,
    Strategy.CONTEXT_CYCLE: context_cycle,
    Strategy.ESCALATE: escalate,
}


def type_into(fleet: Fleet, session: AgentSession, text: str) -> str:
    """Put `text` in front of the agent now, without blocking the supervisor.

    At its prompt the agent gets the runtime's verified delivery. A busy agent gets the
    text typed ahead (coding CLIs queue what is typed while they work): the verified
    delivery would wait up to `runtime.ready_timeout` for a prompt that a stalled agent
    never shows, and the whole supervisor would wait with it. A permission or trust
    dialog is never typed into (the text could answer it); that nudge fails and the ladder
    moves on.
    """
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


def ended_text(found: Detection) -> str:
    ev = found.evidence
    if "exit_code" in ev and ev.get("exit_code") is not None:
        return f"{found.condition} (exit code {ev['exit_code']})"
    if "context_pct" in ev:
        return f"{found.condition} at {ev['context_pct']:.0f}% context"
    if "quiet_for_s" in ev:
        return f"{found.condition} after {ev['quiet_for_s']:.0f}s without progress"
    return str(found.condition)
