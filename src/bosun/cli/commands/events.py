"""`bosun events`: the append-only event log."""

from __future__ import annotations

import itertools
import json
import sys
from typing import Any

import typer

from bosun.cli.common import JSON, ago, output, paint, project, terminal_width
from bosun.cli.output import for_terminal

MAX_LIMIT = 1_000_000


def _line(event: Any, now: float, width: int | None = None) -> str:
    """`id  12s ago  kind  subject  data`: on a terminal only the data is shortened to fit,
    never the kind or the subject (`--json` keeps the full time)."""
    data = json.dumps(event.data, sort_keys=True) if event.data else ""
    when = ago(max(0.0, now - event.ts))
    size = 6 + 2 + max(8, len(when)) + 2 + max(24, len(event.kind)) + 1 + len(event.subject)
    if width is not None and data and size + 2 + len(data) > width:
        room = width - size - 2
        data = data[: room - 1] + "\u2026" if room > 8 else ""
    kind = paint(f"{event.kind:<24}", "blue")
    head = f"{event.id:>6}  {when:>8}  {kind} {event.subject}"
    return f"{head}  {paint(data, 'grey')}" if data else head


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
        now, width = ctx.clock.now(), terminal_width()
        output(
            batch,
            as_json,
            lambda evs: "\n".join(_line(e, now, width) for e in evs) or "(no events)",
        )
        return
    width = terminal_width()
    last = batch[-1].id if batch else (since if since is not None else ctx.events.last_id())
    for event in itertools.chain(batch, ctx.events.follow(last, kind=kind)):
        if subject is not None and event.subject != subject:
            continue
        text = json.dumps(event.to_json()) if as_json else _line(event, ctx.clock.now(), width)
        sys.stdout.write((text if as_json else for_terminal(text)) + "\n")
        sys.stdout.flush()


def register(root: typer.Typer) -> None:
    root.command("events")(events)
