"""`bosun events`: the append-only event log."""

from __future__ import annotations

import itertools
import json
import sys
from typing import Any

import typer

from bosun.cli.common import JSON, output, project
from bosun.cli.output import escape_controls

MAX_LIMIT = 1_000_000


def _line(event: Any) -> str:
    from bosun.base.clock import iso

    data = json.dumps(event.data, sort_keys=True) if event.data else ""
    return f"{event.id:>6}  {iso(event.ts)}  {event.kind:<24} {event.subject}  {data}".rstrip()


def events(
    since: int = typer.Option(
        None, "--since", min=0, max=2**63 - 1, help="Only events after this id."
    ),
    kind: str = typer.Option(
        None, "--kind", help="Only this kind; 'hook.' or 'hook*' for a prefix."
    ),
    subject: str = typer.Option(None, "--subject", help="Only events about this subject."),
    limit: int = typer.Option(
        100,
        "--limit",
        min=0,
        max=MAX_LIMIT,
        help="At most this many (without --since: the last N).",
    ),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new events."),
    as_json: bool = JSON,
) -> None:
    """Read the event log (with --json --follow: one JSON object per line)."""
    ctx = project()
    if since is None:
        batch = ctx.events.tail(limit, kind=kind, subject=subject)
    else:
        batch = ctx.events.since(since, kind=kind, subject=subject, limit=limit)
    if not follow:
        output(batch, as_json, lambda evs: "\n".join(_line(e) for e in evs) or "(no events)")
        return
    last = batch[-1].id if batch else (since if since is not None else ctx.events.last_id())
    for event in itertools.chain(batch, ctx.events.follow(last, kind=kind)):
        if subject is not None and event.subject != subject:
            continue
        sys.stdout.write(
            (json.dumps(event.to_json()) if as_json else escape_controls(_line(event))) + "\n"
        )
        sys.stdout.flush()


def register(root: typer.Typer) -> None:
    root.command("events")(events)
