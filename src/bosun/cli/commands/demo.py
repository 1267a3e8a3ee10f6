"""`bosun demo`: bosun's main job in one command."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    directory: Path = typer.Option(
        None, "--dir", help="Create the sample project here (a new or empty directory)."
    ),
    agents: int = typer.Option(6, "--agents", help="Sim agents in the fleet (1-12)."),
    faults: str = typer.Option(
        "all",
        "--faults",
        help="all, none, or a comma list of: crash, hang, context, swallow, conflict, claim, "
        "dormant.",
    ),
    keep: bool = typer.Option(
        False, "--keep", help="Leave the fleet and the dashboard running to explore."
    ),
    quick: bool = typer.Option(
        False, "--quick", help="Short work steps and deadlines (CI); every fault still injected."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
) -> None:
    """Run a fleet of sim agents on a sample project through real faults — a crash, a hang,
    context exhaustion, a swallowed Enter, a merge conflict, an unkept claim, a dormant
    agent — with the supervisor, the merge queue, a pipeline and the dashboard, and prove
    that no work is lost. Exits 0 only when every expectation held."""
    from bosun.demo.plan import parse_faults, plan_fleet
    from bosun.demo.runner import Options, run_demo
    from bosun.demo.sample import check_target  # lazy: CLI start-up time

    plan = plan_fleet(agents, parse_faults(faults), quick)
    target = check_target(directory) if directory is not None else None
    code = run_demo(Options(plan, target, keep, as_json))
    raise typer.Exit(code)


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
