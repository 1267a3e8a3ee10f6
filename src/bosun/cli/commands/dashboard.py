"""`bosun dashboard`: the live, read-only web dashboard."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from bosun.base.errors import InvalidInput
from bosun.cli.common import JSON, project


def dashboard(
    host: str = typer.Option(
        None,
        "--host",
        help="Address to bind (default 127.0.0.1; any other address "
        "requires the token in .bosun/dashboard.token).",
    ),
    port: int = typer.Option(None, "--port", help="Port (default 8899; 0 picks a free one)."),
    open_browser: bool = typer.Option(False, "--open", help="Open it in a browser."),
    as_json: bool = JSON,
) -> None:
    """Serve the dashboard until interrupted: agents, runs, merge queue, work, signals,
    patrol and recovery, resume queue, guards, threads, commitments and the event feed,
    patched live over Server-Sent Events."""
    import bosun.web.settings  # noqa: F401  (declares dashboard.*)  # lazy: CLI start-up time
    from bosun.web.server import serve  # lazy: CLI start-up time

    ctx = project()
    bind_host = host if host is not None else ctx.config.text("dashboard.host")
    bind_port = port if port is not None else ctx.config.integer("dashboard.port")
    if not 0 <= bind_port <= 65535:
        raise InvalidInput(f"port {bind_port} is out of range", "give 0-65535 (0: any free)")

    def announce(info: dict[str, Any]) -> None:
        if as_json:
            sys.stdout.write(json.dumps(info, sort_keys=True) + "\n")
        else:
            sys.stdout.write(_text(info))
        sys.stdout.flush()

    serve(ctx, bind_host, bind_port, announce=announce, open_browser=open_browser)


def _text(info: dict[str, Any]) -> str:
    lines = [f"bosun dashboard at {info['url']} (Ctrl-C to stop)"]
    if "token" in info:
        lines.append(f"token (shown once; kept in {info['token_file']}): {info['token']}")
        lines.append(f"open: {info['login_url']}")
    elif info.get("token_required"):
        lines.append(
            f"token required: open {info['url']}?token=TOKEN with the token in {info['token_file']}"
        )
    return "\n".join(lines) + "\n"


def register(root: typer.Typer) -> None:
    root.command("dashboard")(dashboard)
