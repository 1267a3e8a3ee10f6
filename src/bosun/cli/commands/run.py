"""`bosun run …`: DOT pipeline runs. `bosun run GRAPH` is short for `bosun run start GRAPH`."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from bosun.base.config import default_config
from bosun.base.errors import InvalidInput, NotFound
from bosun.base.names import check_name
from bosun.base.paths import STATE_DIR, atomic_write_json, git_toplevel
from bosun.cli.common import JSON, finite, output, table
from bosun.cli.run_catalog import catalog_app, optional_project
from bosun.cli.run_views import follow_progress, render_status

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.pipeline.detach import Detached
    from bosun.pipeline.launch import RunOptions
    from bosun.pipeline.rundir import FinalRecord


class RunGroup(TyperGroup):
    """Treats `bosun run GRAPH …` (a first word that is a file, not a command) as `start`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        words = [a for a in args if not a.startswith("-")]
        if words and words[0] not in self.commands and Path(words[0]).is_file():
            args = ["start", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=RunGroup,
    no_args_is_help=True,
    help="DOT pipeline runs: start (or `bosun run GRAPH`), validate, resume, "
    "status, list, stop, prune, answer.",
)


def _runs_dir(ctx: Context | None) -> Path:
    if ctx is not None and ctx.paths is not None:
        return ctx.paths.runs
    return (git_toplevel(Path.cwd()) or Path.cwd()) / STATE_DIR / "runs"


def _options(ctx: Context | None, keep_worktree: bool) -> RunOptions:
    """The options of a run in this process, with every handler registered: the pipeline's
    own and the layered chain's agent handler (`start`, the detached run process — which is
    `bosun run start` — and `resume` all come here)."""
    from bosun.chain.handler import chain_registry  # lazy: CLI start-up time
    from bosun.pipeline.launch import RunOptions  # lazy: CLI start-up time

    opts = RunOptions(
        workspace=Path.cwd(),
        runs_dir=_runs_dir(ctx),
        config=ctx.config if ctx else None,
        project=ctx,
        registry=chain_registry(),
        keep_worktree=keep_worktree,
    )
    if ctx is not None:
        opts.clock = ctx.clock

    def on_signal(signum: int, _frame: object) -> None:
        opts.cancel.cancel(f"canceled by {signal.Signals(signum).name}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)  # a closed terminal ends the run, tools and all
    return opts


def _finished(record: FinalRecord, as_json: bool) -> None:
    data = record.to_json()
    output(
        data,
        as_json,
        lambda d: "\n".join(
            f"{k}={'' if v is None else v}"
            for k, v in (
                ("run_id", d["run_id"]),
                ("status", d["status"]),
                ("logs_root", d["logs_root"]),
                ("final_node", d["final_node"]),
                ("final_commit", d["final_commit"]),
                ("failure_reason", d["failure_reason"]),
            )
        ),
    )
    if record.status.value != "success":
        raise typer.Exit(1)


@app.command("start")
def start(
    graph: Path = typer.Argument(..., help="The .dot file to run."),
    detach: bool = typer.Option(False, "--detach", help="Run in its own session and return."),
    run_id: str = typer.Option(None, "--run-id", help="Run id (default: time + random)."),
    logs_root: Path = typer.Option(
        None, "--logs-root", help="Run directory (default .bosun/runs/<run_id>)."
    ),
    keep_worktree: bool = typer.Option(
        False, "--keep-worktree", help="Keep the run's git worktree at the end."
    ),
    preflight_only: bool = typer.Option(
        False, "--preflight", help="Only check providers/models, then exit."
    ),
    strict_models: bool = typer.Option(
        False,
        "--strict-models",
        help="Refuse models missing from the model catalog (default: a warning).",
    ),
    as_json: bool = JSON,
) -> None:
    """Run GRAPH (exit 0 only when the run's final status is success)."""
    ctx = optional_project()
    if preflight_only:
        _preflight(graph, ctx, logs_root, as_json, strict_models)
        return
    if detach:
        d = _detach(ctx, graph, run_id, logs_root, keep_worktree, strict_models)
        output(
            {
                "run_id": d.run_id,
                "logs_root": str(d.logs_root),
                "pid_file": str(d.pid_file),
                "pid": d.pid,
            },
            as_json,
            f"run_id={d.run_id}\nlogs_root={d.logs_root}\npid_file={d.pid_file}",
        )
        return
    # lazy: CLI start-up time
    from bosun.cli.run_progress import ForegroundProgress
    from bosun.pipeline.launch import start_run
    from bosun.pipeline.rundir import check_run_id, new_run_id

    opts = _options(ctx, keep_worktree)
    opts.strict_models = strict_models
    run_id = check_run_id(run_id) if run_id else new_run_id(opts.clock.now())
    root = logs_root if logs_root is not None else opts.runs_dir / run_id
    if as_json:
        record = start_run(graph, opts, run_id, logs_root)
    else:
        with ForegroundProgress(root):
            record = start_run(graph, opts, run_id, logs_root)
    _finished(record, as_json)


def _detach(
    ctx: Context | None,
    graph: Path,
    run_id: str | None,
    logs_root: Path | None,
    keep: bool,
    strict_models: bool = False,
) -> Detached:
    """Layer 0: inside a project the chain refuses missing runtimes before anything exists
    and records the launcher once the run process runs."""
    from bosun.pipeline.detach import launch_detached  # lazy: CLI start-up time

    extra = ("--strict-models",) if strict_models else ()
    if ctx is None:
        return launch_detached(
            graph,
            _runs_dir(ctx),
            Path.cwd(),
            time.time(),
            run_id,
            logs_root,
            keep,
            extra_args=extra,
        )
    from bosun.chain.launcher import register_launcher  # lazy: CLI start-up time
    from bosun.chain.preflight import check_graph_file  # lazy: CLI start-up time

    project = ctx

    def launched(d: Detached) -> None:
        register_launcher(project, d.run_id, d.pid, str(d.logs_root))

    return launch_detached(
        graph,
        _runs_dir(ctx),
        Path.cwd(),
        ctx.clock.now(),
        run_id,
        logs_root,
        keep,
        project=ctx,
        check=lambda path: check_graph_file(project, path),
        launched=launched,
        extra_args=extra,
    )


def _preflight(
    graph: Path, ctx: Context | None, logs_root: Path | None, as_json: bool, strict: bool
) -> None:
    # lazy: CLI start-up time
    from bosun.pipeline.launch import SETTING_KEYS, read_graph, run_preflight

    config = ctx.config if ctx else default_config()
    _, parsed = read_graph(graph)
    home = ctx.paths.home if ctx is not None and ctx.paths is not None else None
    settings = {k: config.get(f"pipeline.{k}") for k in SETTING_KEYS}
    report = run_preflight(parsed, settings, home, strict)
    if logs_root is not None:
        atomic_write_json(logs_root.absolute() / "preflight_report.json", report.to_json())
    output(
        report.to_json(),
        as_json,
        lambda d: "\n".join(
            [
                f"{'FAIL' if not c['ok'] else 'warn' if c.get('warning') else 'ok  '} "
                f"{c['check']}: {c['message']}"
                for c in d["checks"]
            ]
            + [f"preflight {'passed' if d['ok'] else 'failed'}"]
        ),
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command("validate")
def validate_cmd(
    graph: Path = typer.Argument(..., help="The .dot file to check."), as_json: bool = JSON
) -> None:
    """Check GRAPH; exit 2 when there are errors (warnings are only shown)."""
    from bosun.pipeline.launch import read_graph  # lazy: CLI start-up time
    from bosun.pipeline.validate import errors, validate, warnings  # lazy: CLI start-up time

    _, parsed = read_graph(graph)
    found = validate(parsed)
    bad, warned = errors(found), warnings(found)
    infos = len(found) - len(bad) - len(warned)
    output(
        {
            "graph": str(graph),
            "ok": not bad,
            "errors": len(bad),
            "warnings": len(warned),
            "infos": infos,
            "diagnostics": [d.to_json() for d in found],
        },
        as_json,
        lambda _: "\n".join(
            [d.render(str(graph)) for d in found]
            + [f"{graph}: {len(bad)} error(s), {len(warned)} warning(s), {infos} info(s)"]
        ),
    )
    if bad:
        raise typer.Exit(2)


@app.command("resume")
def resume(
    logs_root: Path = typer.Option(..., "--logs-root", help="The run directory to continue."),
    keep_worktree: bool = typer.Option(
        False, "--keep-worktree", help="Keep the run's git worktree at the end."
    ),
    as_json: bool = JSON,
) -> None:
    """Continue a stopped or failed run from its checkpoint."""
    # lazy: CLI start-up time
    from bosun.cli.run_progress import ForegroundProgress
    from bosun.pipeline.launch import resume_run

    opts = _options(optional_project(), keep_worktree)
    if as_json:
        _finished(resume_run(logs_root, opts), as_json)
        return
    with ForegroundProgress(logs_root, skip_history=True):
        record = resume_run(logs_root, opts)
    _finished(record, as_json)


def _locate(run_id: str | None, logs_root: Path | None, ctx: Context | None) -> Path:
    from bosun.pipeline.runs import find_run  # lazy: CLI start-up time

    if logs_root is not None:
        return logs_root.absolute()
    if not run_id:
        raise InvalidInput("give a RUN_ID or --logs-root", "see `bosun run list`")
    return find_run(run_id, _runs_dir(ctx), ctx)


@app.command("status")
def status(
    run_id: str = typer.Argument(None, help="The run id."),
    logs_root: Path = typer.Option(None, "--logs-root", help="The run directory."),
    follow: bool = typer.Option(False, "--follow", help="Print progress events until the end."),
    as_json: bool = JSON,
) -> None:
    """Show a run's status (from its directory; works while it runs)."""
    from bosun.pipeline.runs import run_status  # lazy: CLI start-up time

    ctx = optional_project()
    base = _locate(run_id, logs_root, ctx)
    registered = False
    if ctx is not None:  # a run whose launcher died before the run process is still known
        with ctx.store.transaction(write=False) as tx:
            row = tx.one("run_get", run_id=run_id or base.name)
        registered = row is not None and Path(row["logs_root"]).absolute() == base.absolute()
    files = ("manifest.json", "run.pid", "final.json")
    if not registered and not any((base / name).exists() for name in files):
        raise NotFound(f"{base} is not a run directory", "see `bosun run list`")
    if follow:
        follow_progress(base, as_json)
    output(run_status(base, registered), as_json, render_status)


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """List runs: running (including detached ones) and finished."""
    from bosun.pipeline.runs import list_runs  # lazy: CLI start-up time

    ctx = optional_project()
    runs = list_runs(_runs_dir(ctx), ctx)
    output(
        runs,
        as_json,
        lambda rs: table(
            (
                (
                    r["run_id"],
                    r["status"],
                    r.get("current_node") or "-",
                    r.get("pid") or "-",
                    r.get("started_at") or "-",
                    r["logs_root"],
                )
                for r in rs
            ),
            ("RUN", "STATUS", "NODE", "PID", "STARTED", "LOGS"),
        ),
    )


@app.command("stop")
def stop(
    run_id: str = typer.Argument(..., help="The run id."),
    grace: float = typer.Option(
        None,
        "--grace",
        callback=finite,
        help="Seconds to wait after SIGTERM (default pipeline.stop_grace).",
    ),
    force: bool = typer.Option(False, "--force", help="SIGKILL the run if it outlives --grace."),
    logs_root: Path = typer.Option(None, "--logs-root", help="The run directory."),
    as_json: bool = JSON,
) -> None:
    """Stop a running run (refuses a pid that is not a bosun run)."""
    from bosun.pipeline.runs import stop_run  # lazy: CLI start-up time

    ctx = optional_project()
    base = _locate(run_id, logs_root, ctx)
    if grace is None:
        grace = float((ctx.config if ctx else default_config()).get("pipeline.stop_grace"))
    result = stop_run(base, grace, force, project=ctx)
    output(
        result,
        as_json,
        lambda r: (
            f"run {r['run_id']}: "
            + ("stopped" if r.get("stopped") else r.get("reason", "still running"))
        ),
    )
    if not result.get("stopped") and result.get("reason") != "already finished":
        raise typer.Exit(1)


@app.command("prune")
def prune(as_json: bool = JSON) -> None:
    """Remove the worktrees that finished or dead runs left (dirty ones are kept)."""
    from bosun.pipeline.runs import prune_runs  # lazy: CLI start-up time

    ctx = optional_project()
    report = prune_runs(_runs_dir(ctx), ctx)
    output(
        report,
        as_json,
        lambda rs: (
            "\n".join(
                f"{'removed' if r['removed'] else 'kept'} {r['worktree']} {r['reason']}".rstrip()
                for r in rs
            )
            or "nothing to prune"
        ),
    )


@app.command("answer")
def answer(
    run_id: str = typer.Argument(..., help="The run id."),
    node: str = typer.Argument(..., help="The human gate node id."),
    choice: str = typer.Argument(..., help="The edge label (or target node) to take."),
    logs_root: Path = typer.Option(None, "--logs-root", help="The run directory."),
    as_json: bool = JSON,
) -> None:
    """Answer a human gate (queued if the run has not reached it yet)."""
    from bosun.pipeline.handlers.human import write_answer  # lazy: CLI start-up time

    base = _locate(run_id, logs_root, optional_project())
    if not (base / "manifest.json").exists():
        raise NotFound(f"{base} is not a run directory", "see `bosun run list`")
    check_name(node.lower(), "node id")
    path = write_answer(base, node, choice)
    output(
        {"run_id": run_id, "node": node, "choice": choice, "file": str(path)},
        as_json,
        f"answered {node}: {choice}",
    )


def register(root: typer.Typer) -> None:
    from bosun.cli.commands.chain import agents_command  # lazy: CLI start-up time

    app.command("agents")(agents_command)
    app.add_typer(catalog_app, name="catalog")
    root.add_typer(app, name="run")
