"""`bosun config …`: every setting, its value and where the value came from."""

from __future__ import annotations

import os

import typer

from bosun.base.config import all_settings, load_config
from bosun.base.dburl import redact_secrets
from bosun.base.errors import NotAProject
from bosun.base.paths import find_project
from bosun.cli.common import JSON, output, table

app = typer.Typer(help="Project settings.", no_args_is_help=True)


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """Every setting with its current value, source (default/file/env) and help."""
    try:
        path = find_project().config
    except NotAProject:
        path = None
    config = load_config(path, dict(os.environ))
    rows = [
        {
            "key": key,
            "value": redact_secrets(v) if isinstance(v := config.get(key), str) else v,
            "source": config.source(key),
            "default": s.default,
            "type": s.type,
            "env": s.env,
            "help": s.help,
        }
        for key, s in all_settings().items()
    ]
    output(
        rows,
        as_json,
        lambda rs: table(
            ((r["key"], r["value"], r["source"], r["help"]) for r in rs),
            ("SETTING", "VALUE", "SOURCE", "HELP"),
        ),
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="config")
