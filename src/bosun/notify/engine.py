"""The notifier engine: follow the event log, turn events into alerts, send them.

It runs as one of the supervisor's background loops (`NotifyStep`, composed by the CLI in
`bosun.cli.supervising.engine_loops`). It starts at the end of the log: alerts are about
what happens while the supervisor runs, not a replay of history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bosun.notify.policy import Alert, Throttle, alert_for
from bosun.notify.senders import Delivery, post_webhook, run_command
from bosun.notify.settings import NotifySettings

if TYPE_CHECKING:
    from bosun.core.context import Context

logger = logging.getLogger("bosun.notify")

Sender = Callable[[dict[str, Any]], Delivery]


def senders(settings: NotifySettings) -> list[Sender]:
    """The configured notifiers, command first."""
    out: list[Sender] = []
    if settings.command:
        out.append(lambda payload: run_command(settings.command, payload, settings.timeout))
    if settings.webhook:
        out.append(
            lambda payload: post_webhook(
                settings.webhook, payload, timeout=settings.timeout, retries=settings.retries
            )
        )
    return out


def deliver(alert: Alert, settings: NotifySettings) -> list[Delivery]:
    """Send one alert through every configured notifier."""
    payload = alert.to_json()
    return [send(payload) for send in senders(settings)]


class Notifier:
    """Follows the event log from a cursor; `step()` handles the events since the last one."""

    def __init__(self, ctx: Context, since: int | None = None) -> None:
        self.ctx = ctx
        self.settings = NotifySettings.from_config(ctx.config)
        self.throttle = Throttle(
            self.settings.dedupe_window, self.settings.rate_limit, self.settings.rate_window
        )
        self.cursor = ctx.events.last_id() if since is None else since

    def step(self) -> list[tuple[Alert, list[Delivery]]]:
        sent: list[tuple[Alert, list[Delivery]]] = []
        while True:
            batch = self.ctx.events.since(self.cursor, limit=500)
            if not batch:
                return sent
            for event in batch:
                self.cursor = event.id
                alert = alert_for(event)
                if alert is None:
                    continue
                verdict = self.throttle.decide(alert, self.ctx.clock.now())
                if not verdict.send:
                    logger.info("notify: %s not sent: %s", alert.summary, verdict.why)
                    continue
                deliveries = deliver(alert, self.settings)
                self._record(alert, deliveries)
                sent.append((alert, deliveries))

    def _record(self, alert: Alert, deliveries: list[Delivery]) -> None:
        failed = [d for d in deliveries if not d.ok]
        for d in failed:
            logger.warning("notify: %s via %s failed: %s", alert.summary, d.notifier, d.detail)
        with self.ctx.store.transaction() as tx:
            tx.emit(
                "notify.failed" if failed else "notify.sent",
                alert.agent,
                {
                    "reason": alert.reason,
                    "event": alert.event.get("id"),
                    "deliveries": [d.to_json() for d in deliveries],
                },
            )


class NotifyStep:
    """A supervisor step: builds its `Notifier` on the loop's own context, then follows."""

    def __init__(self) -> None:
        self._notifier: Notifier | None = None

    def __call__(self, ctx: Context) -> object:
        if self._notifier is None or self._notifier.ctx is not ctx:
            self._notifier = Notifier(ctx)
        return len(self._notifier.step())
