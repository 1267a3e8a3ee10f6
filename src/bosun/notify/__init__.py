"""Notifiers: when an agent needs a person, tell that person.

The notifier engine follows the event log (the source of truth) and, for the events that
mean "a person is needed" (an agent waits on a prompt, escalates, is quarantined, a trigger
is dead-lettered), runs the configured notifiers: a shell command that reads the alert as
JSON on stdin, and a webhook POST with retries. Alerts are deduplicated and rate-limited per
agent by a pure policy (`bosun.notify.policy`).

`notify_enabled` lets the interface decide whether to start the engine without importing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bosun.base.config import Config


def notify_enabled(config: Config) -> bool:
    """Whether a notifier is configured (`[notify] command` or `[notify] webhook`)."""
    return bool(config.text("notify.command").strip() or config.text("notify.webhook").strip())
