"""`bosun sim-agent`: the built-in agent that behaves like a coding-agent CLI."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from bosun.cli.common import JSON, output


def sim_agent(
    identity: str = typer.Option(
        None, "--identity", help="ROLE/NAME to work as (default: $BOSUN_IDENTITY)."
    ),
    prompt: str = typer.Option(
        None, "--prompt", help="An initial prompt, accepted as if it had been typed."
    ),
    as_json: bool = JSON,
) -> None:
    """Run the sim agent in this terminal (composer `sim> `; `/exit` or SIGTERM to quit).

    It primes itself with `bosun prime --json`, works its hook's ```bosun-task script,
    answers prompts and injects faults from BOSUN_SIM_FAULTS or the task script.
    With --json it prints how the session ended (identity, exit_code, prompts) on exit.
    """
    from bosun.runtime.sim.main import run_sim_agent  # lazy: CLI start-up time

    session = run_sim_agent(identity, prompt, dict(os.environ), Path.cwd())
    if as_json:
        output(session, True)
    raise typer.Exit(session.exit_code)


def register(root: typer.Typer) -> None:
    root.command("sim-agent")(sim_agent)
