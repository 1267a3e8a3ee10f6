"""`bosun notify …`: try the configured notifiers (`[notify]` in .bosun/config.toml)."""

from __future__ import annotations

from typing import Any

import typer

from bosun.base.errors import ConfigError
from bosun.cli.common import JSON, output, project

app = typer.Typer(
    help="Notifiers: a command or a webhook told when an agent needs a person.",
    no_args_is_help=True,
)


@app.command("test")
def test(
    agent: str = typer.Option("bosun/notify-test", "--agent", help="Agent named in the alert."),
    as_json: bool = JSON,
) -> None:
    """Send a test alert through every configured notifier (no deduplication or rate limit);
    exit 1 when one of them fails."""
    # Lazy: CLI start-up time (every `bosun` call imports this module).
    from bosun.notify.engine import deliver
    from bosun.notify.policy import Alert  # lazy: CLI start-up time
    from bosun.notify.settings import NotifySettings  # lazy: CLI start-up time

    ctx = project()
    settings = NotifySettings.from_config(ctx.config)
    if not (settings.command or settings.webhook):
        raise ConfigError(
            "no notifier is configured",
            'set [notify] command = "notify-send bosun" or webhook = "https://…" in '
            ".bosun/config.toml (or BOSUN_NOTIFY_COMMAND / BOSUN_NOTIFY_WEBHOOK)",
        )
    now = ctx.clock.now()
    alert = Alert("test", agent, f"bosun test notification for {agent}", "test", {}, now)
    deliveries = deliver(alert, settings)
    data = {
        "alert": alert.to_json(),
        "deliveries": [d.to_json() for d in deliveries],
    }

    def render(value: dict[str, Any]) -> str:
        return "\n".join(
            f"{d['notifier']}: {'ok' if d['ok'] else 'FAILED'} ({d['detail']}, "
            f"{d['attempts']} attempt{'s' if d['attempts'] != 1 else ''})"
            for d in value["deliveries"]
        )

    output(data, as_json, render)
    if not all(d.ok for d in deliveries):
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="notify")
