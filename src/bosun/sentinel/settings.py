"""Settings of the action-claim sentinel (`[sentinel]` in .bosun/config.toml)."""

from __future__ import annotations

from dataclasses import dataclass

from bosun.base.config import Config, Setting, declare
from bosun.base.errors import ConfigError

declare(
    Setting(
        "sentinel.enabled",
        "bool",
        False,
        'track concrete action claims ("I\'ll push it") as commitments; off by default',
    ),
    Setting(
        "sentinel.due_after",
        "duration",
        600.0,
        "time after a claim before its evidence is checked",
        minimum=1,
    ),
    Setting(
        "sentinel.compliance_window",
        "duration",
        600.0,
        "time after the one nudge before an unmet commitment is violated",
        minimum=1,
    ),
    Setting(
        "sentinel.expiry",
        "duration",
        21600.0,
        "time after which an open commitment expires",
        minimum=60,
    ),
    Setting(
        "sentinel.max_open",
        "int",
        5,
        "open commitments per identity and topic; a further claim is refused",
        minimum=1,
        maximum=100,
    ),
)


@dataclass(frozen=True)
class SentinelSettings:
    enabled: bool
    due_after: float
    compliance_window: float
    expiry: float
    max_open: int

    @classmethod
    def from_config(cls, config: Config) -> SentinelSettings:
        settings = cls(
            enabled=config.flag("sentinel.enabled"),
            due_after=config.number("sentinel.due_after"),
            compliance_window=config.number("sentinel.compliance_window"),
            expiry=config.number("sentinel.expiry"),
            max_open=config.integer("sentinel.max_open"),
        )
        if settings.due_after >= settings.expiry:
            raise ConfigError(
                f"sentinel.due_after ({settings.due_after:g}s) is not shorter than "
                f"sentinel.expiry ({settings.expiry:g}s)",
                "a commitment must come due before it expires; lower due_after or raise expiry",
            )
        return settings
