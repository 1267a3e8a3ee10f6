"""What `bosun agent list` and the dashboard show about each agent."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bosun.agents.cli_sessions import find_cli_session
from bosun.base.clock import iso
from bosun.base.errors import BosunError

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet


@dataclass(frozen=True)
class AgentView:
    identity: str
    role: str
    name: str
    status: str
    runtime: str | None
    state: str  # ready / busy / waiting_input / dead / unknown / not running
    pid: int | None
    target: str | None
    worktree: str | None
    phase: str | None
    work_id: str | None
    context_pct: float | None
    incarnation: int
    last_seen: float
    last_seen_age_s: float
    crew: bool
    restarts: int
    escalation: str | None = None  # why a person must decide (an unread ESCALATION)

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["last_seen"] = iso(self.last_seen)
        return data


ESCALATED = "escalated"  # shown instead of the identity's status while a person must decide
# Statuses that already say where the identity stands (quarantined says more than escalated).
SETTLED = frozenset({"quarantined", "terminated", "handed_off"})


def escalations(fleet: Fleet) -> dict[str, str]:
    """Identities named by an unread ESCALATION signal, with the latest reason: the
    supervisor gave up on them (ladder exhausted, revival cap) and a person must decide."""
    found: dict[str, str] = {}
    for signal in fleet.ctx.signals.list(unread=True, kind="ESCALATION"):
        ref = signal.payload.get("identity")
        if isinstance(ref, str):
            found[ref] = str(signal.payload.get("reason") or "escalated")
    return found


def context_percent(fleet: Fleet, role: str, name: str) -> float | None:
    """Context use: the status-line file (Claude Code, the sim agent), else the usage a
    CLI that names its own sessions wrote into its session file (Codex, Gemini CLI)."""
    paths = fleet.ctx.paths
    if paths is None:
        return None
    try:
        data = json.loads(paths.context_file(role, name).read_text(encoding="utf-8"))
        value = data.get("used_percentage")
        return float(value) if value is not None else None
    except (OSError, ValueError, AttributeError, TypeError):
        return _cli_context_percent(fleet, role, name)


def _cli_context_percent(fleet: Fleet, role: str, name: str) -> float | None:
    session = fleet.session(role, name)
    if session is None or not session.live or not session.worktree:
        return None
    try:
        kind = fleet.preset(session.preset).session_files
    except BosunError:
        return None
    env = {**os.environ, **session.extra_env}
    found = find_cli_session(kind, session.worktree, env, session.started_at)
    return found.context_pct if found else None


def agent_views(fleet: Fleet, *, probe: bool = True) -> list[AgentView]:
    """Every identity that has (had) a session, with its live state when `probe`."""
    ctx = fleet.ctx
    now = ctx.clock.now()
    sessions = {s.ref: s for s in fleet.sessions()}
    hooks = {f"{h.role}/{h.name}": h for h in ctx.hooks.list()}
    escalated = escalations(fleet)
    views = []
    for identity in ctx.identities.list():
        session = sessions.get(identity.ref)
        if session is None and not identity.runtime:
            continue
        state = "not running"
        if session is not None and session.live:
            state = "unknown"
            if probe:
                try:
                    state = str(fleet.runtime.screen_state(fleet.handle(session)))
                except Exception:  # noqa: BLE001 - a listing never fails on one agent
                    state = "unknown"
        hook = hooks.get(identity.ref)
        escalation = escalated.get(identity.ref)
        status = str(identity.status)
        if escalation is not None and status not in SETTLED:
            status = ESCALATED
        views.append(
            AgentView(
                identity=identity.ref,
                role=identity.role,
                name=identity.name,
                status=status,
                runtime=identity.runtime,
                state=state,
                pid=session.pid if session and session.live else None,
                target=session.target if session and session.live else None,
                worktree=identity.worktree,
                phase=str(hook.phase) if hook else None,
                work_id=hook.work_id if hook else None,
                context_pct=context_percent(fleet, identity.role, identity.name),
                incarnation=identity.incarnation,
                last_seen=identity.last_seen,
                last_seen_age_s=round(now - identity.last_seen, 3),
                crew=identity.crew,
                restarts=max(0, identity.incarnation - 1),
                escalation=escalation,
            )
        )
    return views
