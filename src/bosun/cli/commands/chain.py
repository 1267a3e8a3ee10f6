"""The layered chain: `bosun spawn-runner` (start a runner by hand) and `bosun run agents`
(every layer of a run; attached to the `run` group by run.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bosun.base.errors import InvalidInput, NotFound
from bosun.cli.common import JSON, output, project, table


def spawn_runner(
    node: str = typer.Option(..., "--node", help="The agent node to run."),
    run: str = typer.Option(..., "--run", help="The run id (its graph copy names the node)."),
    target_dir: Path = typer.Option(
        None,
        "--target-dir",
        help="Where the node runs; its orchestrator branches off its HEAD "
        "(default: the run's worktree).",
    ),
    as_json: bool = JSON,
) -> None:
    """Start a runner (layer 2) for NODE of run RUN; prints its pid and state file."""
    from bosun.chain.preflight import check_runtimes  # lazy: CLI start-up time

    # lazy: CLI start-up time
    from bosun.chain.spawn import spec_for_run, start_runner, wait_for_state
    from bosun.pipeline.graph import build_graph  # lazy: CLI start-up time
    from bosun.pipeline.launch import read_graph  # lazy: CLI start-up time
    from bosun.pipeline.runs import find_run  # lazy: CLI start-up time

    ctx = project()
    assert ctx.paths is not None
    base = find_run(run, ctx.paths.runs, ctx)
    _, graph = read_graph(base / "graph.dot") if (base / "graph.dot").is_file() else ("", None)
    if graph is not None and node in graph.nodes:
        check_runtimes(ctx, build_graph(graph.name, graph.attrs, [graph.nodes[node]], []))
    spec = spec_for_run(ctx, run, node, target_dir)
    process = start_runner(ctx, spec)
    if not wait_for_state(process):
        raise InvalidInput(
            f"runner {process.runner} exited before it wrote {process.state_file}",
            f"see {process.log_file}",
        )
    output(
        process.to_json(),
        as_json,
        lambda d: f"runner {d['runner']} pid {d['pid']}\nstate_file={d['state_file']}",
    )


def agents_command(
    run_id: str = typer.Argument(..., help="The run id."), as_json: bool = JSON
) -> None:
    """List every layer of a run: launcher, guardian, runners, orchestrators."""
    from bosun.chain.agents import run_agents  # lazy: CLI start-up time
    ctx = project()
    agents = run_agents(ctx, run_id)
    if not agents:
        from bosun.pipeline.runs import find_run  # lazy: CLI start-up time

        assert ctx.paths is not None
        find_run(run_id, ctx.paths.runs, ctx)  # NotFound for an unknown run
        raise NotFound(
            f"run {run_id} has no agents yet",
            "agents appear when the run is launched with --detach or reaches an agent node",
        )

    def render(rows: list[dict[str, Any]]) -> str:
        return table(
            (
                (
                    r["layer"],
                    r["identity"],
                    r["status"],
                    r["phase"] or "-",
                    r["pid"] or "-",
                    f"{r['heartbeat_age_s']:.1f}s ago",
                )
                for r in rows
            ),
            ("LAYER", "IDENTITY", "STATUS", "PHASE", "PID", "HEARTBEAT"),
        )

    output([a.to_json() for a in agents], as_json, render)


def register(root: typer.Typer) -> None:
    root.command("spawn-runner")(spawn_runner)
