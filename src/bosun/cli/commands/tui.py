"""`bosun tui`: the full-screen fleet view (Textual, imported only by this command)."""

from __future__ import annotations

import sys

import typer

from bosun.base.errors import InvalidInput
from bosun.cli.common import JSON, output, project


def tui(
    refresh: float = typer.Option(2.0, "--refresh", help="Seconds between refreshes."),
    as_json: bool = JSON,
) -> None:
    """Full-screen fleet view: agents ordered by need of attention, a live preview of the
    selected agent's screen, pipeline runs and their human gates, the merge queue and the
    event feed; every key runs a bosun command (attach, send, answer, nudge, restart,
    stop, diff, enqueue, answer a gate). With --json, print one snapshot and exit."""
    if refresh < 0.2:
        raise InvalidInput(f"--refresh {refresh:g} is too fast", "give 0.2 seconds or more")
    ctx = project()
    if as_json:
        from bosun.agents.driver import project_fleet  # lazy: CLI start-up time
        from bosun.tui.snapshot import snapshot_json, take_snapshot  # lazy: CLI start-up time

        output(snapshot_json(take_snapshot(ctx, project_fleet(ctx))), True)
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InvalidInput("bosun tui needs a terminal", "use `bosun tui --json` in scripts")
    from bosun.tui.app import FleetApp  # lazy: CLI start-up time

    FleetApp(ctx, refresh=refresh).run()


def register(root: typer.Typer) -> None:
    root.command("tui")(tui)
