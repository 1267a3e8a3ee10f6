"""`bosun mcp …`: the MCP server agents talk to."""

from __future__ import annotations

import typer

from bosun.cli.common import JSON, output, project, self_identity

app = typer.Typer(
    help="The MCP server for agents (threads, triggers, hooks, signals).", no_args_is_help=True
)


@app.command("serve")
def serve(as_json: bool = JSON) -> None:
    """Serve MCP over stdio as $BOSUN_IDENTITY in the project at $BOSUN_HOME (or here).

    The protocol on stdout is JSON-RPC either way; --json is accepted for uniformity."""
    del as_json
    from bosun.mcp.server import serve as run  # lazy: CLI start-up time

    me = self_identity()
    run(project(), f"{me[0]}/{me[1]}" if me else None)


@app.command("config")
def config(
    command: str = typer.Option("bosun", "--command", help="How the agent runs bosun."),
    as_json: bool = JSON,
) -> None:
    """Print the .mcp.json entry that registers this server for Claude Code."""
    from bosun.mcp.server import claude_config  # lazy: CLI start-up time

    output(claude_config(command), True)  # JSON either way; --json accepted for symmetry
    del as_json


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="mcp")
