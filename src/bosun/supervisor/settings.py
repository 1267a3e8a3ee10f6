"""Every supervisor setting, its default and its validation.

Per-key problems (negative intervals, unknown strategy names) are refused when the config is
loaded. Every `bosun` call imports this module to declare its settings, so it stays light;
the checks that span keys and the typed settings the policies take are in
`typed_settings.py`.
"""

from __future__ import annotations

from typing import Any

from bosun.base.config import Setting, declare
from bosun.base.errors import InvalidName
from bosun.base.names import check_name
from bosun.supervisor.policies.detect import RECOVERY_CONDITIONS
from bosun.supervisor.policies.ladder import DEFAULT_CATALOG as LADDER_CATALOG
from bosun.supervisor.policies.ladder import Strategy

# Built from the enums: a new `Strategy` member is allowed in the config with no edit here.
STRATEGIES = tuple(str(s) for s in Strategy)
CONDITIONS = tuple(str(c) for c in RECOVERY_CONDITIONS)
DEFAULT_CATALOG = {str(c): [str(s) for s in LADDER_CATALOG[c]] for c in RECOVERY_CONDITIONS}
# Guards the supervisor runs, with the keys that switch them (the host lock is always on).
GUARD_KEYS = {
    "patrol": "supervisor.patrol",
    "recovery_ladder": "supervisor.recovery",
    "context_cycling": "supervisor.context",
    "resume_queue": "supervisor.resume",
}


def check_strategies(value: Any) -> str | None:
    allowed = "allowed: " + ", ".join(STRATEGIES)
    if not value:
        return "give at least one strategy; " + allowed
    unknown = [s for s in value if s not in STRATEGIES]
    if unknown:
        return f"unknown strategy {unknown[0]!r}; {allowed}"
    return None


def _check_roles(value: Any) -> str | None:
    for role in value:
        try:
            check_name(str(role), "role")
        except InvalidName as exc:
            return exc.message
    return None


def _d(key: str, default: float, help: str, minimum: float = 0.001, **kw: Any) -> Setting:
    return Setting(key, "duration", default, help, minimum=minimum, **kw)


def _flag(key: str, default: bool, help: str) -> Setting:
    return Setting(key, "bool", default, help)


declare(
    _d(
        "supervisor.tick_interval",
        5.0,
        "seconds between supervisor ticks (process exits are seen at once, between ticks)",
        minimum=0.05,
    ),
    _d(
        "supervisor.poll_interval",
        0.25,
        "fallback liveness poll (no slower than 4 per second)",
        minimum=0.01,
        maximum=0.25,
    ),
    _d(
        "supervisor.stall_after",
        600.0,
        "busy on screen with no screen, heartbeat or hook change for this long → stalled",
        minimum=1,
    ),
    _d(
        "supervisor.waiting_after",
        120.0,
        "a permission or trust prompt on screen for this long → waiting",
        minimum=1,
    ),
    # context cycling
    _flag("supervisor.context.enabled", True, "watch context budgets and cycle sessions"),
    _flag("supervisor.context.dry_run", False, "log context-cycling decisions without acting"),
    Setting(
        "supervisor.context.checkpoint_at",
        "float",
        75.0,
        "context usage (%) at which the agent is asked to checkpoint, once per session",
        minimum=1,
        maximum=100,
    ),
    Setting(
        "supervisor.context.handoff_at",
        "float",
        85.0,
        "context usage (%) at which a graceful handoff runs",
        minimum=1,
        maximum=100,
    ),
    # the recovery ladder and restart limits
    _flag("supervisor.recovery.enabled", True, "walk the recovery ladder on detections"),
    _flag("supervisor.recovery.dry_run", False, "log ladder decisions without acting"),
    *(
        Setting(
            f"supervisor.recovery.{condition}",
            "list",
            DEFAULT_CATALOG[condition],
            f"recovery strategies for {condition}, tried in order ({', '.join(STRATEGIES)})",
            check=check_strategies,
        )
        for condition in CONDITIONS
    ),
    _d(
        "supervisor.recovery.verify_within",
        120.0,
        "an attempt succeeds only if the session shows progress within this",
        minimum=1,
    ),
    _d(
        "supervisor.recovery.escalation_hold",
        1800.0,
        "after an escalation, wait this long before walking the ladder again",
        minimum=1,
    ),
    Setting(
        "supervisor.recovery.max_restarts",
        "int",
        5,
        "restarts allowed within restart_window before quarantine",
        minimum=1,
    ),
    _d("supervisor.recovery.restart_window", 600.0, "the window max_restarts counts in", minimum=1),
    _d(
        "supervisor.recovery.restart_delay",
        1.0,
        "backoff before the second restart of a streak (the first is immediate)",
        minimum=0,
    ),
    Setting(
        "supervisor.recovery.restart_steps",
        "int",
        4,
        "restarts over which the backoff grows geometrically to restart_max_delay",
        minimum=0,
    ),
    _d("supervisor.recovery.restart_max_delay", 60.0, "the longest restart backoff", minimum=0),
    _d(
        "supervisor.recovery.stable_after",
        600.0,
        "healthy running for this long resets the restart streak",
        minimum=1,
    ),
    # patrol
    _flag("supervisor.patrol.enabled", True, "nudge idle agents that hold unfinished work"),
    _flag("supervisor.patrol.dry_run", False, "log patrol nudges without typing them"),
    _d(
        "supervisor.patrol.interval",
        300.0,
        "patrol interval for workers and orchestrators",
        minimum=1,
    ),
    _d("supervisor.patrol.top_interval", 600.0, "patrol interval for top-level roles", minimum=1),
    Setting(
        "supervisor.patrol.top_roles",
        "list",
        ["mayor", "system3"],
        "roles patrolled at top_interval",
        check=_check_roles,
    ),
    Setting(
        "supervisor.patrol.orchestrator_roles",
        "list",
        ["orchestrator", "runner"],
        "roles whose nudge also asks them to check their workers",
        check=_check_roles,
    ),
    Setting(
        "supervisor.patrol.exempt_roles",
        "list",
        ["crew"],
        "roles never patrolled (identities flagged crew are always exempt)",
        check=_check_roles,
    ),
    _d(
        "supervisor.patrol.compliance_window",
        120.0,
        "a nudged agent complies by going busy or heartbeating within this",
        minimum=1,
    ),
    _d(
        "supervisor.patrol.max_interval",
        3600.0,
        "each nudge since the agent last moved its hook doubles its patrol interval, up to this",
        minimum=1,
    ),
    # the resume queue
    _flag("supervisor.resume.enabled", True, "revive sessions that ended mid-work"),
    _flag("supervisor.resume.dry_run", False, "record would-revive decisions without acting"),
    Setting(
        "supervisor.resume.max_resurrections",
        "int",
        2,
        "revivals allowed per identity within resurrection_window",
        minimum=0,
    ),
    _d(
        "supervisor.resume.resurrection_window",
        86400.0,
        "the window max_resurrections counts in",
        minimum=1,
    ),
    _d("supervisor.resume.entry_ttl", 86400.0, "a queued entry gives up after this", minimum=1),
    Setting("supervisor.resume.max_attempts", "int", 3, "revival attempts per entry", minimum=1),
    _d(
        "supervisor.resume.retry_backoff",
        60.0,
        "wait before a retry (doubles per failure)",
        minimum=0,
    ),
    Setting(
        "supervisor.resume.breaker_threshold",
        "int",
        3,
        "consecutive failed revivals that open the breaker",
        minimum=1,
    ),
    _d("supervisor.resume.breaker_cooldown", 1800.0, "how long the breaker stays open", minimum=1),
    # the host lock
    _flag(
        "supervisor.lock.auto_heal_renamed_host",
        True,
        "take over a renamed host's dead lock (local disk, dead pid, stale heartbeat)",
    ),
    _flag("supervisor.lock.dry_run", False, "log a lock takeover instead of doing it"),
    _d(
        "supervisor.lock.stale_after", 300.0, "a lock heartbeat older than this is stale", minimum=1
    ),
    # guard posture
    Setting(
        "supervisor.guards.stale_factor",
        "float",
        5.0,
        "a guard that has not ticked within this many cadences is on-stale",
        minimum=1,
    ),
)
