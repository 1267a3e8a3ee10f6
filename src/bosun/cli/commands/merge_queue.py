"""`bosun merge-queue …`: land branches through rebase, gates and a compare-and-swap."""

from __future__ import annotations

import json
from typing import Any

import typer

from bosun.base.errors import InvalidInput, LockHeld
from bosun.cli.common import JSON, output, project, self_identity, table

app = typer.Typer(
    help="The merge queue: land branches on the target, tested.", no_args_is_help=True
)


def _queue() -> Any:
    from bosun.mergequeue.queue import MergeQueue  # lazy: CLI start-up time

    return MergeQueue(project())


def _by() -> str | None:
    me = self_identity()
    return f"{me[0]}/{me[1]}" if me else None


def _render(requests: list[Any]) -> str:
    waiting = [r.id for r in requests if r.status == "awaiting_approval"]
    hints = "".join(
        f"\n{i} awaits approval: review it with `bosun mr diff {i}`, "
        f"then `bosun mr approve {i}` (or `bosun mr reject {i} --reason …`)"
        for i in waiting
    )
    return _table(requests) + hints


def _table(requests: list[Any]) -> str:
    return table(
        (
            (
                r.id,
                r.status,
                r.branch,
                r.target,
                r.identity or "-",
                r.work_id or "-",
                (r.reason or "")[:60],
            )
            for r in requests
        ),
        ("ID", "STATUS", "BRANCH", "TARGET", "IDENTITY", "WORK", "REASON"),
    )


def _one(request: Any) -> str:
    data = request.to_json()
    lines = [f"{k}: {'' if v is None else v}" for k, v in sorted(data.items()) if k != "detail"]
    tail = request.detail.get("tail")
    files = request.detail.get("files")
    if files:
        lines.append("conflicting files:\n" + "\n".join(f"  {f}" for f in files))
    if tail:
        lines.append("gate output (tail):\n" + tail)
    other = {k: v for k, v in request.detail.items() if k not in ("tail", "files")}
    if other:
        lines.append("detail: " + json.dumps(other, sort_keys=True, default=str))
    return "\n".join(lines)


@app.command("enqueue")
def enqueue(
    branch: str,
    work: str = typer.Option(None, "--work", help="The work item this branch completes."),
    identity: str = typer.Option(None, "--identity", help="The owner, ROLE/NAME."),
    target: str = typer.Option(None, "--target", help="Target branch (default: main branch)."),
    as_json: bool = JSON,
) -> None:
    """Queue BRANCH to land on the target; queuing it again returns the same request."""
    request, created = _queue().enqueue(
        branch, work_id=work, identity=identity, target=target, by=_by()
    )
    verb = "queued" if created else "already queued as"
    text = f"{verb} {request.id}: {request.branch} → {request.target}"
    if request.status == "awaiting_approval":
        text += (
            f"\nit awaits approval: review it with `bosun mr diff {request.id}`, "
            f"then `bosun mr approve {request.id}`"
        )
    output({**request.to_json(), "created": created}, as_json, text)


@app.command("list")
def list_(
    show_all: bool = typer.Option(False, "--all", help="Include merged and cancelled."),
    target: str = typer.Option(None, "--target", help="Only this target branch."),
    as_json: bool = JSON,
) -> None:
    """List merge requests (awaiting approval, queued, testing, conflict, failed, rejected;
    --all for every one)."""
    requests = _queue().list(include_finished=show_all, target=target)
    output(requests, as_json, _render)


@app.command("show")
def show(request_id: str, as_json: bool = JSON) -> None:
    """Show one merge request with its reason, conflicting files or gate output."""
    output(_queue().get(request_id), as_json, _one)


@app.command("process")
def process(
    once: bool = typer.Option(False, "--once", help="Settle one batch per target, then stop."),
    until_empty: bool = typer.Option(
        False, "--until-empty", help="Keep going until nothing is queued (the default)."
    ),
    target: str = typer.Option(None, "--target", help="Only this target branch."),
    as_json: bool = JSON,
) -> None:
    """Take MERGE_READY signals in, then process the queue (one processor per target)."""
    # lazy: CLI start-up time
    from bosun.cli.merge_progress import MergeProgress
    from bosun.mergequeue.processor import process as run

    if once and until_empty:
        raise InvalidInput("--once and --until-empty exclude each other", "give one of them")
    ctx = project()
    if as_json:
        reports = run(ctx, target, until_empty=not once)
    else:
        assert ctx.paths is not None
        with MergeProgress(ctx.paths.root, ctx.events.last_id()):
            reports = run(ctx, target, until_empty=not once)
    held = [r for r in reports if r.lease_held_by]
    if held and len(held) == len(reports):
        raise LockHeld(
            f"the queue of {held[0].target} is being processed by {held[0].lease_held_by}",
            "wait for it to finish; nothing was changed",
        )
    output([r.to_json() for r in reports], as_json, lambda _: _summary(reports))


def _summary(reports: list[Any]) -> str:
    if not reports:
        return "nothing queued"
    lines = []
    for r in reports:
        if r.lease_held_by:
            lines.append(f"{r.target}: skipped, held by {r.lease_held_by}")
            continue
        lines.append(
            f"{r.target}: {len(r.merged)} merged, {len(r.conflicts)} conflict, "
            f"{len(r.failed)} failed, {len(r.requeued)} queued again, "
            f"{r.gate_runs} gate runs in {r.batches} batches"
            + (f", {len(r.recovered)} recovered" if r.recovered else "")
        )
        if r.untested:
            from bosun.mergequeue.untested import EXAMPLE_GATE  # lazy: CLI start-up time

            lines.append(
                f"WARNING: {r.target}: landed untested, no merge gates are configured; add "
                f"your test command under [merge_queue] in .bosun/config.toml: {EXAMPLE_GATE}"
            )
    return "\n".join(lines)


@app.command("cancel")
def cancel(request_id: str, as_json: bool = JSON) -> None:
    """Cancel a queued request."""
    request = _queue().cancel(request_id, by=_by())
    output(request, as_json, f"{request.id} cancelled")


@app.command("retry")
def retry(request_id: str, as_json: bool = JSON) -> None:
    """Queue a conflicted, failed, cancelled or rejected request again (under
    `require_approval` it waits for approval again)."""
    request = _queue().retry(request_id, by=_by())
    output(request, as_json, f"{request.id} {request.status}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="merge-queue")
