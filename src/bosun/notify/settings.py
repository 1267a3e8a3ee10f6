"""Settings of the notifiers (`[notify]` in .bosun/config.toml)."""

from __future__ import annotations

from dataclasses import dataclass

from bosun.base.config import Config, Setting, declare

declare(
    Setting(
        "notify.command",
        "str",
        "",
        "shell command run for each alert, the alert as JSON on its stdin (empty: none)",
    ),
    Setting(
        "notify.webhook",
        "str",
        "",
        "URL that receives each alert as a JSON POST, retried on failure (empty: none)",
    ),
    Setting(
        "notify.dedupe_window",
        "duration",
        600.0,
        "the same alert about the same agent is sent once within this window",
        minimum=0,
    ),
    Setting(
        "notify.rate_limit",
        "int",
        5,
        "alerts sent per agent within `notify.rate_window`; further ones are dropped",
        minimum=1,
        maximum=10_000,
    ),
    Setting(
        "notify.rate_window",
        "duration",
        3600.0,
        "the window of `notify.rate_limit`",
        minimum=1,
    ),
    Setting(
        "notify.retries",
        "int",
        3,
        "further webhook attempts after a failed one (connection error or HTTP 5xx)",
        minimum=0,
        maximum=20,
    ),
    Setting(
        "notify.timeout",
        "duration",
        10.0,
        "time limit of one command run or one webhook attempt",
        minimum=0.1,
        maximum=600,
    ),
)


@dataclass(frozen=True)
class NotifySettings:
    command: str
    webhook: str
    dedupe_window: float
    rate_limit: int
    rate_window: float
    retries: int
    timeout: float

    @classmethod
    def from_config(cls, config: Config) -> NotifySettings:
        return cls(
            command=config.text("notify.command").strip(),
            webhook=config.text("notify.webhook").strip(),
            dedupe_window=config.number("notify.dedupe_window"),
            rate_limit=config.integer("notify.rate_limit"),
            rate_window=config.number("notify.rate_window"),
            retries=config.integer("notify.retries"),
            timeout=config.number("notify.timeout"),
        )
