"""Patrol: the supervisor's periodic "do your job" pass.

Every `interval` (300 s for workers and orchestrators, 600 s for top-level roles; crew is
exempt) an idle agent whose hook holds unfinished work gets a role-aware nudge. A nudge is
*complied with* when the agent became busy or heartbeated within `compliance_window`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bosun.supervisor.policies.detect import Observations, ScreenState

MAX_TITLE = 200


@dataclass(frozen=True)
class PatrolConfig:
    interval: float = 300.0  # workers and orchestrators
    top_interval: float = 600.0
    top_roles: tuple[str, ...] = ("mayor", "system3")
    orchestrator_roles: tuple[str, ...] = ("orchestrator", "runner")
    exempt_roles: tuple[str, ...] = ("crew",)
    compliance_window: float = 120.0
    max_interval: float = 3600.0  # the backoff's ceiling


class RoleKind(StrEnum):
    TOP = "top"
    ORCHESTRATOR = "orchestrator"
    WORKER = "worker"
    CREW = "crew"


def role_kind(role: str, config: PatrolConfig, *, crew: bool = False) -> RoleKind:
    if crew or role in config.exempt_roles:
        return RoleKind.CREW
    if role in config.top_roles:
        return RoleKind.TOP
    if role in config.orchestrator_roles:
        return RoleKind.ORCHESTRATOR
    return RoleKind.WORKER


def patrol_interval(role: str, config: PatrolConfig, *, crew: bool = False) -> float | None:
    """Seconds between patrols of `role`; None when the role is exempt (crew)."""
    kind = role_kind(role, config, crew=crew)
    if kind == RoleKind.CREW:
        return None
    return config.top_interval if kind == RoleKind.TOP else config.interval


def patrol_due(
    role: str,
    last_patrol: float | None,
    now: float,
    config: PatrolConfig,
    *,
    crew: bool = False,
    unanswered: int = 0,
) -> bool:
    """Is a patrol of this identity due? Never for crew; at once if never patrolled. Each
    nudge since the hook last moved doubles the interval, up to `max_interval`."""
    interval = patrol_interval(role, config, crew=crew)
    if interval is None:
        return False
    interval = min(interval * 2 ** min(unanswered, 30), max(config.max_interval, interval))
    return last_patrol is None or now - last_patrol >= interval


@dataclass(frozen=True)
class PatrolSubject:
    """What patrol needs to know about one identity."""

    role: str
    screen_state: ScreenState
    hook_unfinished: bool
    work_title: str | None = None
    phase: str | None = None
    crew: bool = False
    last_patrol: float | None = None  # last nudge recorded as delivered
    unanswered: int = 0  # nudges since the hook last moved: each doubles the interval


@dataclass(frozen=True)
class NudgeDecision:
    nudge: bool
    reason: str
    text: str | None = None


def decide_nudge(subject: PatrolSubject, now: float, config: PatrolConfig) -> NudgeDecision:
    """Nudge an idle agent with unfinished work on its hook, when its patrol is due."""
    if role_kind(subject.role, config, crew=subject.crew) == RoleKind.CREW:
        return NudgeDecision(False, "crew identities are exempt from patrol")
    if not patrol_due(
        subject.role,
        subject.last_patrol,
        now,
        config,
        crew=subject.crew,
        unanswered=subject.unanswered,
    ):
        return NudgeDecision(False, "patrol not due yet")
    if not subject.hook_unfinished:
        return NudgeDecision(False, "no unfinished work on the hook")
    if subject.screen_state != ScreenState.READY:
        return NudgeDecision(False, f"not idle (screen {subject.screen_state})")
    text = nudge_text(subject.role, subject.work_title, subject.phase, config, crew=subject.crew)
    return NudgeDecision(True, "idle with unfinished work on the hook", text)


def nudge_text(
    role: str,
    work_title: str | None,
    phase: str | None,
    config: PatrolConfig,
    *,
    crew: bool = False,
) -> str:
    """The one-line, role-aware nudge typed into the session."""
    title = _one_line(work_title or "your pinned work")
    text = f"Run `bosun prime` and continue your hook: {title}, phase {phase or 'unknown'}."
    kind = role_kind(role, config, crew=crew)
    if kind == RoleKind.ORCHESTRATOR:
        text += " Then check on your workers with `bosun identity list`."
    elif kind == RoleKind.TOP:
        text += " Then check `bosun status` for agents and work that need you."
    return text


def _one_line(text: str) -> str:
    """Typed into a terminal: one line (a newline would submit early), bounded."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_TITLE else flat[: MAX_TITLE - 1] + "…"


class Compliance(StrEnum):
    PENDING = "pending"
    COMPLIED = "complied"
    IGNORED = "ignored"


@dataclass(frozen=True)
class ComplianceResult:
    compliance: Compliance
    evidence: dict[str, Any]
    at: float | None = None  # when the agent responded


def evaluate_compliance(
    nudged_at: float, obs: Observations, now: float, compliance_window: float
) -> ComplianceResult:
    """Did the agent respond to a nudge (busy or heartbeat within the window)?"""
    deadline = nudged_at + compliance_window
    responses = []
    if nudged_at < obs.last_seen <= deadline:
        responses.append(("heartbeat", obs.last_seen))
    if (
        obs.screen_state == ScreenState.BUSY
        and obs.screen_changed_at is not None
        and nudged_at < obs.screen_changed_at <= deadline
    ):
        responses.append(("busy", obs.screen_changed_at))
    if responses:
        how, at = min(responses, key=lambda r: r[1])
        return ComplianceResult(
            Compliance.COMPLIED, {"response": how, "after_s": round(at - nudged_at, 3)}, at
        )
    if now >= deadline:
        return ComplianceResult(
            Compliance.IGNORED,
            {"window_s": compliance_window, "last_seen_age_s": round(now - obs.last_seen, 3)},
        )
    return ComplianceResult(Compliance.PENDING, {"window_ends_in_s": round(deadline - now, 3)})
