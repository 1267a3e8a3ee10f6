"""`bosun prime`: the block an agent reads at session start."""

from __future__ import annotations

import typer

from bosun.cli import hot
from bosun.cli.common import JSON


def prime(
    role: str = typer.Argument(None, help="Role (default: from BOSUN_IDENTITY or worktree)."),
    name: str = typer.Argument(None, help="Name."),
    as_json: bool = JSON,
) -> None:
    """Print who you are, your hook, unread signals and exactly what to do next."""
    hot.prime(role, name, as_json)


def register(root: typer.Typer) -> None:
    root.command("prime")(prime)
