"""`bosun commitments …`: what agents said they would do, and whether it happened."""

from __future__ import annotations

from typing import Any

import typer

from bosun.cli.common import JSON, age, output, project, table

app = typer.Typer(help="Commitments opened by the action-claim sentinel.", no_args_is_help=True)


def _service() -> Any:
    from bosun.core.commitments import Commitments  # lazy: CLI start-up time

    return Commitments(project())


def _render(commitments: list[Any]) -> str:
    now = project().clock.now()
    return table(
        (
            (
                c.id,
                c.identity,
                c.topic,
                c.verb,
                c.status,
                ("due in " + age(c.due_at - now))
                if c.status == "open" and c.due_at > now
                else age(now - c.opened_at) + " ago",
                c.claim if len(c.claim) <= 60 else c.claim[:59] + "\u2026",
            )
            for c in commitments
        ),
        ("ID", "IDENTITY", "TOPIC", "VERB", "STATUS", "WHEN", "CLAIM"),
    )


def _one(commitment: Any) -> str:
    data = commitment.to_json(project().clock.now())
    return "\n".join(f"{k}: {'' if v is None else v}" for k, v in sorted(data.items()))


@app.command("list")
def list_(
    identity: str = typer.Option(None, "--identity", help="Only this identity (ROLE/NAME)."),
    only_open: bool = typer.Option(False, "--open", help="Only open commitments."),
    as_json: bool = JSON,
) -> None:
    """List commitments, newest first."""
    found = _service().list(identity, status="open" if only_open else None)
    output(found, as_json, _render)


@app.command("show")
def show(commitment_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """Show one commitment with its evidence."""
    output(_service().get(commitment_id), as_json, _one)


@app.command("withdraw")
def withdraw(
    commitment_id: str = typer.Argument(..., metavar="ID"),
    why: str = typer.Option(None, "--why", help="Why it is no longer going to happen."),
    as_json: bool = JSON,
) -> None:
    """Withdraw an open commitment, with a reason (it is then never nudged or violated)."""
    done = _service().withdraw(commitment_id, why)
    output(done, as_json, f"{done.id} withdrawn: {done.reason}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="commitments")
