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
    # lazy: CLI start-up time
    from bosun.core.context import open_project
    from bosun.core.project import init_project
    from bosun.mergequeue.queue import ensure_queue_identity
    from bosun.mergequeue.untested import untested_advice, untested_warning

    result = init_project(path.resolve())
    ctx = open_project(result.root)
    try:  # agents are told to signal the queue from their first minute
        ensure_queue_identity(ctx)
        warning, advice = untested_warning(ctx), untested_advice(ctx)
    finally:
        ctx.close()
    data = {
        "root": str(result.root),
        "created": result.created,
        "database": result.database,
        "excluded_from_git": result.excluded,
        "warnings": [warning] if warning else [],
    }
    verb = "initialised" if result.created else "already initialised"
    text = f"{verb} bosun in {result.root}/.bosun (database {result.database})"
    output(data, as_json, text + (f"\n\n{advice}" if advice else ""))


def register(root: typer.Typer) -> None:
    root.command("init")(init)
