"""`bosun init`: create `.bosun/` in a git repository."""

from __future__ import annotations

from pathlib import Path

import typer

from bosun.cli.common import JSON, output


def init(
    path: Path = typer.Argument(Path("."), help="A directory inside the git repository."),
    as_json: bool = JSON,
) -> None:
    """Create .bosun/ (config, database) in this git repository; safe to run again."""
    from bosun.core.project import init_project  # lazy: CLI start-up time

    result = init_project(path.resolve())
    data = {
        "root": str(result.root),
        "created": result.created,
        "database": result.database,
        "excluded_from_git": result.excluded,
    }
    verb = "initialised" if result.created else "already initialised"
    output(data, as_json, f"{verb} bosun in {result.root}/.bosun (database {result.database})")


def register(root: typer.Typer) -> None:
    root.command("init")(init)
