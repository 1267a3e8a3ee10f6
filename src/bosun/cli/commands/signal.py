"""`bosun signal …`: typed messages between identities."""

from __future__ import annotations

import json
from typing import Any

import typer

from bosun.cli import hot
from bosun.cli.common import JSON, output, project, table

app = typer.Typer(help="Typed messages between identities.", no_args_is_help=True)


def _render(signals: list[Any]) -> str:
    return table(
        (
            (
                s.id,
                s.type,
                s.sender or "-",
                s.to,
                "unread" if s.acked_at is None else "acked",
                _short(s.payload),
            )
            for s in signals
        ),
        ("ID", "TYPE", "FROM", "TO", "STATE", "PAYLOAD"),
    )


def _short(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True) if payload else ""
    return text if len(text) <= 60 else text[:57] + "..."


@app.command("send")
def send(
    to: str = typer.Argument(..., help="Recipient ROLE/NAME."),
    kind: str = typer.Argument(..., metavar="TYPE", help="MERGE_READY, NUDGE, … or x-custom."),
    payload: str = typer.Option(None, "--payload", help="A JSON object."),
    sender: str = typer.Option(None, "--from", help="Sender ROLE/NAME (default: BOSUN_IDENTITY)."),
    as_json: bool = JSON,
) -> None:
    """Send a signal to an identity."""
    hot.signal_send(to, kind, payload, sender, as_json)


@app.command("list")
def list_(
    to: str = typer.Option(None, "--for", help="Only signals to ROLE/NAME."),
    unread: bool = typer.Option(False, "--unread", help="Only unacknowledged signals."),
    kind: str = typer.Option(None, "--type", help="Only this type."),
    as_json: bool = JSON,
) -> None:
    """List signals."""
    output(project().signals.list(to, unread, kind), as_json, _render)


@app.command("ack")
def ack(signal_id: str, as_json: bool = JSON) -> None:
    """Acknowledge (mark read) a signal."""
    sig = project().signals.ack(signal_id)
    output(sig, as_json, f"acknowledged {sig.id}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="signal")
