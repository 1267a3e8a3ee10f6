"""The `--json` option every command takes, and the shared helpers of `bosun.cli.output`."""

from __future__ import annotations

import math

import typer

from bosun.cli.output import (
    age,
    ago,
    close_project,
    identity_arg,
    output,
    paint,
    paint_word,
    project,
    read_text_arg,
    self_identity,
    table,
    terminal_width,
    to_data,
)

__all__ = [
    "JSON",
    "finite",
    "age",
    "ago",
    "paint",
    "paint_word",
    "terminal_width",
    "close_project",
    "identity_arg",
    "output",
    "project",
    "read_text_arg",
    "self_identity",
    "table",
    "to_data",
]

JSON = typer.Option(False, "--json", help="Print one JSON object or list instead of text.")


def finite(value: float | None) -> float | None:
    """Click accepts `nan` and `inf` for a float option; bosun refuses them (exit 2)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number of seconds")
    return value
