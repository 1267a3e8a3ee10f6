"""`bosun work …`: work items and wisps."""

from __future__ import annotations

from typing import Any

import typer

from bosun.base.durations import parse_duration
from bosun.cli.common import JSON, output, project, read_text_arg, self_identity, table

app = typer.Typer(help="Work items and wisps.", no_args_is_help=True)


def _render(items: list[Any]) -> str:
    return table(
        ((w.id, w.status, w.priority, "wisp" if w.wisp else "", w.title) for w in items),
        ("ID", "STATUS", "PRI", "", "TITLE"),
    )


def _one(item: Any) -> str:
    head = f"{item.id} [{item.status}] p{item.priority}{' wisp' if item.wisp else ''}: {item.title}"
    return head + (f"\n\n{item.body}" if item.body else "")


@app.command("create")
def create(
    title: str,
    body: str = typer.Option("", "--body", help="Description or task script ('-' reads stdin)."),
    priority: int = typer.Option(2, "--priority", help="0 (highest) to 4."),
    wisp: bool = typer.Option(False, "--wisp", help="Ephemeral: expires after its TTL."),
    ttl: str = typer.Option(None, "--ttl", help="Wisp time to live, e.g. 30m, 24h."),
    as_json: bool = JSON,
) -> None:
    """Create a work item (status open)."""
    ttl_s = parse_duration(ttl, "--ttl") if ttl is not None else None
    item = project().work.create(title, read_text_arg(body), priority, wisp, ttl_s)
    output(item, as_json, f"created {item.id}: {item.title}")


@app.command("list")
def list_(
    include_wisps: bool = typer.Option(False, "--include-wisps", help="Show wisps too."),
    status: str = typer.Option(None, "--status", help="Only this status."),
    as_json: bool = JSON,
) -> None:
    """List work items (wisps hidden unless asked)."""
    output(project().work.list(status, include_wisps), as_json, _render)


@app.command("ready")
def ready(
    include_wisps: bool = typer.Option(False, "--include-wisps", help="Show wisps too."),
    as_json: bool = JSON,
) -> None:
    """Open work items that no hook holds, highest priority first."""
    output(project().work.ready(include_wisps), as_json, _render)


@app.command("show")
def show(work_id: str, as_json: bool = JSON) -> None:
    """Show one work item."""
    output(project().work.get(work_id), as_json, _one)


@app.command("update")
def update(
    work_id: str,
    status: str = typer.Option(..., "--status", help="The new status."),
    force: bool = typer.Option(
        False,
        "--force",
        help="As an agent (BOSUN_IDENTITY set), move the item although another identity's "
        "hook holds it (recorded as hook.forced).",
    ),
    as_json: bool = JSON,
) -> None:
    """Change a work item's status, and the hooks holding it with it (illegal transitions
    are refused)."""
    me = self_identity()
    agent = "/".join(me) if me else None
    item = project().work.set_status(work_id, status, by=agent or "cli", agent=agent, force=force)
    output(item, as_json, f"{item.id} is now {item.status}")


@app.command("purge-wisps")
def purge_wisps(as_json: bool = JSON) -> None:
    """Delete expired wisps that no unfinished hook holds."""
    purged = project().work.purge_wisps()
    output({"purged": purged}, as_json, f"purged {len(purged)} expired wisp(s)")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="work")
