"""`bosun demo`: bosun's main job in one command."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    directory: Path = typer.Option(None, "--dir", help="Where to create the sample project."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON at the end."),
) -> None:
    """Walk through an agent's life in a temporary repository: identity, hook, crash,
    re-prime, signals, events — all through the real CLI."""
    import json

    from bosun.demo.walkthrough import run_walkthrough

    echo = (lambda _line: None) if as_json else typer.echo
    code = run_walkthrough(directory, echo)
    if as_json:
        typer.echo(json.dumps({"ok": code == 0}))
    raise typer.Exit(code)


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
