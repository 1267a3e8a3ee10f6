"""`bosun resume-queue …`: sessions that ended mid-work, waiting to be revived."""

from __future__ import annotations

from typing import Any

import typer

from bosun.cli.common import JSON, age, output, project, table

app = typer.Typer(help="Sessions that ended mid-work, queued for revival.", no_args_is_help=True)


def _queue() -> Any:
    from bosun.supervisor.resume_queue import ResumeQueue  # lazy: CLI start-up time

    return ResumeQueue(project())


def _data(entries: list[Any]) -> list[dict[str, Any]]:
    from bosun.supervisor.resume_entries import entry_json  # lazy: CLI start-up time

    now = project().clock.now()
    return [entry_json(e, now) for e in entries]


def _render(entries: list[dict[str, Any]]) -> str:
    return table(
        (
            (
                e["id"],
                e["identity"],
                e["status"],
                e["cause"],
                e["attempts"],
                e["work_id"] or "-",
                age(e["expires_in_s"]) if e["expires_in_s"] > 0 else "expired",
                e["reason"] or e["last_error"] or "",
            )
            for e in entries
        ),
        ("ID", "IDENTITY", "STATUS", "CAUSE", "TRIES", "WORK", "TTL", "WHY"),
    )


@app.command("list")
def list_(
    status: str = typer.Option(
        None,
        "--status",
        help="Only this status (queued, starting, revived, cancelled, invalidated, gave_up).",
    ),
    as_json: bool = JSON,
) -> None:
    """List resume-queue entries, oldest first."""
    output(_data(_queue().list(status)), as_json, _render)


@app.command("cancel")
def cancel(
    entry_id: str = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(
        "cancelled by an operator", "--reason", help="Why, for the audit trail."
    ),
    as_json: bool = JSON,
) -> None:
    """Cancel entry ID: it will not be revived."""
    entry = _queue().cancel(entry_id, reason)
    output(_data([entry])[0], as_json, f"{entry.id} ({entry.identity}) cancelled")


@app.command("requeue")
def requeue(entry_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """Put a cancelled, invalidated or given-up entry back in the queue (attempts reset)."""
    entry = _queue().requeue(entry_id)
    output(_data([entry])[0], as_json, f"{entry.id} ({entry.identity}) queued again")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="resume-queue")
