"""Every supervisor setting, its default and its validation.

Per-key problems (negative intervals, unknown strategy names) are refused when the config is
loaded; `validate_supervisor_config(config)` adds the checks that span keys (thresholds in
order, delays in order) and returns the typed settings the policies take. The supervisor
calls it at start, so a bad config stops it before it does anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bosun.base.config import Setting, declare
from bosun.base.errors import ConfigError, InvalidName
from bosun.base.names import check_name
from bosun.supervisor.policies.detect import RECOVERY_CONDITIONS, Condition, DetectConfig
from bosun.supervisor.policies.ladder import DEFAULT_CATALOG as LADDER_CATALOG
from bosun.supervisor.policies.ladder import LadderConfig, Strategy

if TYPE_CHECKING:
    from bosun.base.config import Config
    from bosun.supervisor.policies.lock_takeover import TakeoverConfig
    from bosun.supervisor.policies.patrol import PatrolConfig
    from bosun.supervisor.policies.restart import RestartPolicy
    from bosun.supervisor.policies.resume import ResumeConfig

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


def _check_strategies(value: Any) -> str | None:
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
    # context cycling (seed 003 epic 8)
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
    # the recovery ladder (seed 003 epic 6) and restart limits
    _flag("supervisor.recovery.enabled", True, "walk the recovery ladder on detections"),
    _flag("supervisor.recovery.dry_run", False, "log ladder decisions without acting"),
    *(
        Setting(
            f"supervisor.recovery.{condition}",
            "list",
            DEFAULT_CATALOG[condition],
            f"recovery strategies for {condition}, tried in order ({', '.join(STRATEGIES)})",
            check=_check_strategies,
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
    # patrol (seed 003 epic 5)
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
    # the resume queue (seed 002)
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
    # the host lock (seed 002)
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


@dataclass(frozen=True)
class GuardSwitch:
    enabled: bool
    dry_run: bool


@dataclass(frozen=True)
class SupervisorSettings:
    tick_interval: float
    poll_interval: float
    detect: DetectConfig
    ladder: LadderConfig
    restart: RestartPolicy
    patrol: PatrolConfig
    resume: ResumeConfig
    lock: TakeoverConfig
    guards: dict[str, GuardSwitch]
    stale_factor: float


def validate_supervisor_config(config: Config) -> SupervisorSettings:
    """Check the supervisor's settings as a whole and return them typed; ConfigError names the
    key and the allowed values."""
    # Lazy: every `bosun` call imports this module to declare its settings (CLI start-up
    # time); only the supervisor needs the policies' config types.
    from bosun.supervisor.policies.lock_takeover import TakeoverConfig
    from bosun.supervisor.policies.patrol import PatrolConfig
    from bosun.supervisor.policies.restart import RestartPolicy
    from bosun.supervisor.policies.resume import ResumeConfig

    def num(key: str) -> float:
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(
                f"{key} = {value!r} must be a number >= 0",
                "see `bosun config list` for the default",
            )
        return float(value)

    checkpoint_at = num("supervisor.context.checkpoint_at")
    handoff_at = num("supervisor.context.handoff_at")
    if not 0 < checkpoint_at < handoff_at <= 100:
        raise ConfigError(
            f"supervisor.context.checkpoint_at = {checkpoint_at:g} and "
            f"supervisor.context.handoff_at = {handoff_at:g} are out of order",
            "allowed: 0 < checkpoint_at < handoff_at <= 100 (defaults 75 and 85)",
        )
    base = num("supervisor.recovery.restart_delay")
    cap = num("supervisor.recovery.restart_max_delay")
    if cap < base:
        raise ConfigError(
            f"supervisor.recovery.restart_max_delay = {cap:g} is below "
            f"supervisor.recovery.restart_delay = {base:g}",
            "allowed: restart_max_delay >= restart_delay (defaults 60 and 1)",
        )
    catalog: dict[Condition, tuple[Strategy, ...]] = {}
    for condition in CONDITIONS:
        key = f"supervisor.recovery.{condition}"
        value = config.get(key)
        problem = _check_strategies(value) if isinstance(value, list) else "not a list"
        if problem:
            raise ConfigError(f"{key} = {value!r}: {problem}", "allowed: " + ", ".join(STRATEGIES))
        catalog[Condition(condition)] = tuple(Strategy(s) for s in value)
    for key in (
        "supervisor.tick_interval",
        "supervisor.poll_interval",
        "supervisor.stall_after",
        "supervisor.waiting_after",
        "supervisor.patrol.interval",
        "supervisor.patrol.top_interval",
        "supervisor.recovery.verify_within",
        "supervisor.recovery.restart_window",
        "supervisor.recovery.stable_after",
        "identity.stale_after",
    ):
        if num(key) <= 0:
            raise ConfigError(f"{key} must be greater than 0", "give a duration like 30s or 5m")

    return SupervisorSettings(
        tick_interval=num("supervisor.tick_interval"),
        poll_interval=num("supervisor.poll_interval"),
        detect=DetectConfig(
            stale_after=num("identity.stale_after"),
            stall_after=num("supervisor.stall_after"),
            waiting_after=num("supervisor.waiting_after"),
            checkpoint_at=checkpoint_at,
            handoff_at=handoff_at,
        ),
        ladder=LadderConfig(
            catalog=catalog,
            verify_within=num("supervisor.recovery.verify_within"),
            escalation_hold=num("supervisor.recovery.escalation_hold"),
        ),
        restart=RestartPolicy(
            max_restarts=int(num("supervisor.recovery.max_restarts")),
            restart_window=num("supervisor.recovery.restart_window"),
            base_delay=base,
            steps=int(num("supervisor.recovery.restart_steps")),
            max_delay=cap,
            stable_after=num("supervisor.recovery.stable_after"),
        ),
        patrol=PatrolConfig(
            interval=num("supervisor.patrol.interval"),
            top_interval=num("supervisor.patrol.top_interval"),
            top_roles=tuple(config.get("supervisor.patrol.top_roles")),
            orchestrator_roles=tuple(config.get("supervisor.patrol.orchestrator_roles")),
            exempt_roles=tuple(config.get("supervisor.patrol.exempt_roles")),
            compliance_window=num("supervisor.patrol.compliance_window"),
        ),
        resume=ResumeConfig(
            enabled=bool(config.get("supervisor.resume.enabled")),
            dry_run=bool(config.get("supervisor.resume.dry_run")),
            max_resurrections=int(num("supervisor.resume.max_resurrections")),
            resurrection_window=num("supervisor.resume.resurrection_window"),
            entry_ttl=num("supervisor.resume.entry_ttl"),
            max_attempts=int(num("supervisor.resume.max_attempts")),
            retry_backoff=num("supervisor.resume.retry_backoff"),
            breaker_threshold=int(num("supervisor.resume.breaker_threshold")),
            breaker_cooldown=num("supervisor.resume.breaker_cooldown"),
        ),
        lock=TakeoverConfig(
            auto_heal_renamed_host=bool(config.get("supervisor.lock.auto_heal_renamed_host")),
            dry_run=bool(config.get("supervisor.lock.dry_run")),
            stale_after=num("supervisor.lock.stale_after"),
        ),
        guards=guard_switches(config),
        stale_factor=num("supervisor.guards.stale_factor"),
    )


def guard_switches(config: Config) -> dict[str, GuardSwitch]:
    """Configured state of the supervisor's own guards (the host lock is always on)."""
    switches = {
        name: GuardSwitch(
            bool(config.get(f"{prefix}.enabled")), bool(config.get(f"{prefix}.dry_run"))
        )
        for name, prefix in GUARD_KEYS.items()
    }
    switches["host_lock"] = GuardSwitch(True, bool(config.get("supervisor.lock.dry_run")))
    return switches
