"""`bosun mr …`: review merge requests held by `[merge_queue] require_approval`."""

from __future__ import annotations

import getpass
from typing import Any

import typer

from bosun.cli.common import JSON, output, project, self_identity, table

app = typer.Typer(
    help="Review merge requests: see what would land, then approve or reject it.",
    no_args_is_help=True,
)


def reviewer() -> str:
    """Who approves: BOSUN_IDENTITY when set, else the operator's login name."""
    me = self_identity()
    if me:
        return f"{me[0]}/{me[1]}"
    try:
        return f"operator {getpass.getuser()}"
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        return "operator"


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """List the requests awaiting approval."""
    from bosun.mergequeue.queue import MergeQueue  # lazy: CLI start-up time

    waiting = [r for r in MergeQueue(project()).list() if r.status == "awaiting_approval"]
    output(waiting, as_json, _render)


def _render(requests: list[Any]) -> str:
    if not requests:
        return "no merge request awaits approval"
    rows = table(
        ((r.id, r.branch, r.target, r.identity or "-", r.work_id or "-") for r in requests),
        ("ID", "BRANCH", "TARGET", "IDENTITY", "WORK"),
    )
    return rows + "\nreview with `bosun mr diff ID`, then `bosun mr approve ID`"


@app.command("diff")
def diff(
    request_id: str,
    stat: bool = typer.Option(False, "--stat", help="Only the changed files and line counts."),
    as_json: bool = JSON,
) -> None:
    """Show what would land: the request's change against its target (TARGET...BRANCH)."""
    from bosun.mergequeue.review import diff as show  # lazy: CLI start-up time

    data = show(project(), request_id, stat=stat)
    header = (
        f"{data['id']} ({data['status']}): {data['branch']} at {data['head'][:12]} "
        f"→ {data['target']} at {data['target_tip'][:12]}"
    )
    body = data["diff"].rstrip() or f"no changes against {data['target']}"
    output(data, as_json, f"{header}\n\n{body}")


@app.command("approve")
def approve(
    request_id: str,
    commit: str = typer.Option(
        None, "--commit", help="Refuse unless the branch's tip is still this commit."
    ),
    as_json: bool = JSON,
) -> None:
    """Approve a request awaiting approval: its branch's tip now is exactly what lands."""
    from bosun.mergequeue.review import approve as run  # lazy: CLI start-up time

    request = run(project(), request_id, reviewer(), commit)
    output(
        request,
        as_json,
        f"approved {request.id} ({request.branch} at {(request.head or '')[:12]}): "
        f"queued to land on {request.target}",
    )


@app.command("reject")
def reject(
    request_id: str,
    reason: str = typer.Option(..., "--reason", help="What to change; the owner gets it."),
    as_json: bool = JSON,
) -> None:
    """Reject a request awaiting approval; its owner gets the work back with the reason."""
    from bosun.mergequeue.review import reject as run  # lazy: CLI start-up time

    request = run(project(), request_id, reviewer(), reason)
    output(request, as_json, f"rejected {request.id}: {request.reason}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="mr")
