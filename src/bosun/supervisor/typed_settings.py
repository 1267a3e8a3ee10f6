"""The supervisor's settings checked as a whole and typed for the policies.

`validate_supervisor_config(config)` adds the checks that span keys (thresholds in order,
delays in order) to the per-key ones of `settings.py` and returns the typed settings the
policies take. The supervisor calls it at start, so a bad config stops it before it does
anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bosun.base.errors import ConfigError
from bosun.supervisor.policies.detect import Condition, DetectConfig
from bosun.supervisor.policies.ladder import LadderConfig, Strategy
from bosun.supervisor.policies.lock_takeover import TakeoverConfig
from bosun.supervisor.policies.patrol import PatrolConfig
from bosun.supervisor.policies.restart import RestartPolicy
from bosun.supervisor.policies.resume import ResumeConfig
from bosun.supervisor.settings import CONDITIONS, GUARD_KEYS, STRATEGIES, check_strategies

if TYPE_CHECKING:
    from bosun.base.config import Config


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
        value = config.words(key)
        problem = check_strategies(value)
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
            top_roles=tuple(config.words("supervisor.patrol.top_roles")),
            orchestrator_roles=tuple(config.words("supervisor.patrol.orchestrator_roles")),
            exempt_roles=tuple(config.words("supervisor.patrol.exempt_roles")),
            compliance_window=num("supervisor.patrol.compliance_window"),
            max_interval=num("supervisor.patrol.max_interval"),
        ),
        resume=ResumeConfig(
            enabled=config.flag("supervisor.resume.enabled"),
            dry_run=config.flag("supervisor.resume.dry_run"),
            max_resurrections=int(num("supervisor.resume.max_resurrections")),
            resurrection_window=num("supervisor.resume.resurrection_window"),
            entry_ttl=num("supervisor.resume.entry_ttl"),
            max_attempts=int(num("supervisor.resume.max_attempts")),
            retry_backoff=num("supervisor.resume.retry_backoff"),
            breaker_threshold=int(num("supervisor.resume.breaker_threshold")),
            breaker_cooldown=num("supervisor.resume.breaker_cooldown"),
        ),
        lock=TakeoverConfig(
            auto_heal_renamed_host=config.flag("supervisor.lock.auto_heal_renamed_host"),
            dry_run=config.flag("supervisor.lock.dry_run"),
            stale_after=num("supervisor.lock.stale_after"),
        ),
        guards=guard_switches(config),
        stale_factor=num("supervisor.guards.stale_factor"),
    )


def guard_switches(config: Config) -> dict[str, GuardSwitch]:
    """Configured state of the supervisor's own guards (the host lock is always on)."""
    switches = {
        name: GuardSwitch(
            config.flag(f"{prefix}.enabled"), config.flag(f"{prefix}.dry_run")
        )
        for name, prefix in GUARD_KEYS.items()
    }
    switches["host_lock"] = GuardSwitch(True, config.flag("supervisor.lock.dry_run"))
    return switches
