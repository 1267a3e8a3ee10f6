"""`bosun supervise`, `bosun stop`, `bosun status`, `bosun handoff`."""

from __future__ import annotations

import typer

from bosun.base.errors import InvalidInput
from bosun.cli.common import JSON, finite, identity_arg, output, project, self_identity


def supervise(
    once: bool = typer.Option(False, "--once", help="Run one tick and exit."),
    detach: bool = typer.Option(False, "--detach", help="Run in the background (own session)."),
    merge_queue: bool | None = typer.Option(
        None,
        "--merge-queue/--no-merge-queue",
        help="Process the merge queue in the background (default: merge_queue.enabled).",
    ),
    as_json: bool = JSON,
) -> None:
    """Supervise this host's agents: crash detection, the recovery ladder, patrol, the
    resume queue and the merge queue. Foreground unless --detach."""
    # Lazy: engine imports cost CLI start-up time (every `bosun` call imports this module).
    from bosun.cli.supervising import engine_loops
    from bosun.supervisor.daemon import run_foreground, start_detached

    ctx = project()
    if detach:
        info = start_detached(ctx)
        output(info, as_json, f"supervisor running (pid {info['pid']}); logs: {info['log']}")
        return
    if merge_queue is None:
        merge_queue = ctx.config.flag("merge_queue.enabled")
    loops = [] if once else engine_loops(ctx, merge_queue=merge_queue)
    code = run_foreground(ctx, once=once, loops=loops)
    if as_json:
        output({"exit_code": code}, True)
    raise typer.Exit(code)


def stop(
    timeout: float = typer.Option(
        15.0, "--timeout", help="Seconds to wait for it to exit.", callback=finite
    ),
    as_json: bool = JSON,
) -> None:
    """Stop the running supervisor gracefully (SIGTERM, then wait)."""
    from bosun.supervisor.daemon import stop_supervisor  # lazy: CLI start-up time

    result = stop_supervisor(project(), timeout)
    output(result, as_json, f"supervisor (pid {result['pid']}) stopped")


def status(
    check: bool = typer.Option(
        False, "--check", help="Exit 1 when anything needs attention (for scripts and CI)."
    ),
    as_json: bool = JSON,
) -> None:
    """One screen: the supervisor, agents, queues, guards and escalations."""
    from bosun.cli.supervising import fleet_status, render_status  # lazy: CLI start-up time

    data = fleet_status(project())
    output(data, as_json, render_status)
    if check and data["attention"]:
        raise typer.Exit(1)


def handoff(
    role: str = typer.Argument(None, help="Role (default: BOSUN_IDENTITY)."),
    name: str = typer.Argument(None, help="Name."),
    note: str = typer.Option(None, "--note", help="What the successor must know."),
    as_json: bool = JSON,
) -> None:
    """Hand the identity's work to a fresh session: checkpoint the hook, leave the note as
    resumption instructions, signal HANDOFF_REQUESTED and end the session; the supervisor
    starts the successor with the seance prompt."""
    from bosun.supervisor.handoff import hand_off  # lazy: CLI start-up time

    if role is None:
        me = self_identity()
        if me is None:
            raise InvalidInput("no identity to hand off", "give ROLE NAME or set BOSUN_IDENTITY")
        role, name = me
    else:
        role, name = identity_arg(name, role)
    result = hand_off(project(), role, name, note)
    output(result, as_json, f"{role}/{name} handed off; the supervisor starts its successor")


def register(root: typer.Typer) -> None:
    root.command("supervise")(supervise)
    root.command("stop")(stop)
    root.command("status")(status)
    root.command("handoff")(handoff)
