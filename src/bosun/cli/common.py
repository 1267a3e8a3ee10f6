"""The `--json` option every command takes, and the shared helpers of `bosun.cli.output`."""

from __future__ import annotations

import math

import typer

from bosun.base.errors import InvalidInput
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
    "AGENT",
    "JSON",
    "SECOND",
    "agent_and",
    "agent_ref",
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

# An agent is named the same way everywhere: ROLE/NAME, or NAME when one identity has it;
# the older two-word form ROLE NAME still works (SECOND is its hidden second word).
AGENT = typer.Argument(..., metavar="ROLE/NAME", help="ROLE/NAME (or ROLE NAME; NAME if unique).")
SECOND = typer.Argument(None, hidden=True)


def agent_ref(agent: str, name: str | None = None) -> tuple[str, str]:
    """`ROLE/NAME`, `ROLE NAME`, or NAME when one identity has it."""
    return project().identities.resolve(agent, name)


def agent_and(words: list[str], what: str) -> tuple[str, str, str]:
    """`ROLE/NAME VALUE` or `ROLE NAME VALUE`: the agent's role and name, then the value."""
    if len(words) == 2:
        return (*agent_ref(words[0]), words[1])
    if len(words) == 3:
        return (*agent_ref(words[0], words[1]), words[2])
    raise InvalidInput(
        f"expected ROLE/NAME {what}, got {len(words)} word(s)",
        f"e.g. `polecat/toast {what}` (or `polecat toast {what}`)",
    )


def finite(value: float | None) -> float | None:
    """Click accepts `nan` and `inf` for a float option; bosun refuses them (exit 2)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number of seconds")
    return value
