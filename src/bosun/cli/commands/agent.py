"""`bosun agent …` and `bosun crew add`: agent sessions in tmux."""

from __future__ import annotations

import os
from typing import Any

import typer

from bosun.base.errors import InvalidInput
from bosun.cli.common import (
    JSON,
    ago,
    finite,
    output,
    paint_word,
    project,
    read_text_arg,
    table,
    terminal_width,
)

app = typer.Typer(
    help="Agent sessions: spawn, list, send, nudge, stop, restart.", no_args_is_help=True
)
crew_app = typer.Typer(help="Crew: long-lived, human-directed identities.", no_args_is_help=True)


def _fleet() -> Any:
    from bosun.agents.driver import project_fleet  # lazy: CLI start-up time

    return project_fleet(project())


def _session_text(session: Any) -> str:
    return (
        f"{session.ref} incarnation {session.incarnation} running in {session.session} "
        f"(pane {session.target}, pid {session.pid}) in {session.worktree}"
    )


@app.command("spawn")
def spawn(
    name: str,
    role: str = typer.Option("polecat", "--role", help="The identity's role."),
    runtime: str = typer.Option("claude", "--runtime", help="Runtime preset (claude, sim, …)."),
    work: str = typer.Option(None, "--work", help="Work item to pin to its hook."),
    prompt: str = typer.Option(None, "--prompt", help="First prompt ('-' reads stdin)."),
    worktree: str = typer.Option("auto", "--worktree", help="auto, none, or a path in the repo."),
    as_json: bool = JSON,
) -> None:
    """Register ROLE/NAME, pin its work, create its worktree and start its session; returns
    once the session is ready."""
    from bosun.agents.fleet import SpawnRequest  # lazy: CLI start-up time

    if work and prompt:
        raise InvalidInput(
            "give --work or --prompt, not both", "the work item's body is the agent's task"
        )
    session = _fleet().spawn(
        SpawnRequest(
            name=name,
            role=role,
            preset=runtime,
            work_id=work,
            prompt=read_text_arg(prompt) if prompt else None,
            worktree=worktree,
        )
    )
    output(session, as_json, _session_text)


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """Every agent: identity, runtime, screen state, pid, target, phase, context %, …"""
    from bosun.agents.views import agent_views  # lazy: CLI start-up time

    views = agent_views(_fleet())
    output(
        views,
        as_json,
        lambda vs: table(
            (
                (
                    v.identity + (" (crew)" if v.crew else ""),
                    v.runtime or "-",
                    paint_word(v.status),
                    paint_word(v.state),
                    v.pid or "-",
                    v.target or "-",
                    v.phase or "-",
                    f"{v.context_pct:.0f}%" if v.context_pct is not None else "-",
                    v.incarnation,
                    ago(v.last_seen_age_s),
                )
                for v in vs
            ),
            ("AGENT", "RUNTIME", "STATUS", "SCREEN", "PID", "PANE", "PHASE", "CTX", "INC", "SEEN"),
            drop=("PANE", "PID", "INC", "RUNTIME", "CTX", "PHASE"),
            width=terminal_width(),
        ),
    )


@app.command("send")
def send(
    name: str, text: str = typer.Argument(..., help="Text ('-' reads stdin)."), as_json: bool = JSON
) -> None:
    """Type TEXT into the agent's session and submit it (exactly once)."""
    fleet = _fleet()
    role, ident = fleet.resolve(name)
    result = fleet.send(role, ident, read_text_arg(text))
    output(result, as_json, f"delivered {result['bytes']} bytes to {role}/{ident}")


@app.command("nudge")
def nudge(
    name: str,
    message: str = typer.Option(None, "--message", help="Custom text."),
    as_json: bool = JSON,
) -> None:
    """Nudge the agent to continue its hook (a role-aware default text)."""
    from bosun.agents.nudges import nudge_text  # lazy: CLI start-up time

    fleet = _fleet()
    role, ident = fleet.resolve(name)
    text = message or nudge_text(fleet.ctx, role, ident)
    result = fleet.send(role, ident, text)
    output({**result, "text": text}, as_json, f"nudged {role}/{ident}: {text}")


@app.command("answer")
def answer(
    name: str,
    choice: list[str] = typer.Argument(
        ...,
        help="approve, deny, the number or label of an option on screen, or keys to press "
        "(y, 1 Enter, Escape).",
    ),
    as_json: bool = JSON,
) -> None:
    """Answer the prompt on the agent's screen (permission, trust, a choice); refused unless
    the screen shows a prompt waiting for input. Verified: the prompt must go away."""
    from bosun.agents.answer import answer as give  # lazy: CLI start-up time
    from bosun.agents.answer import check_choice

    check_choice(choice)
    fleet = _fleet()
    role, ident = fleet.resolve(name)
    result = give(fleet, role, ident, choice)
    how = "" if result["verified"] else " (the prompt is still on screen)"
    output(result, as_json, f"answered {result['identity']}: {' '.join(result['keys'])}{how}")
    if not result["verified"]:
        raise typer.Exit(1)


@app.command("capture")
def capture(
    name: str,
    lines: int = typer.Option(50, "--lines", help="How many lines."),
    as_json: bool = JSON,
) -> None:
    """Print the last lines of the agent's screen."""
    fleet = _fleet()
    role, ident = fleet.resolve(name)
    screen = fleet.capture(role, ident, lines)
    output({"identity": f"{role}/{ident}", "screen": screen}, as_json, screen)


@app.command("attach")
def attach(name: str, as_json: bool = JSON) -> None:
    """Attach your terminal to the agent's tmux session (detach with C-b d)."""
    fleet = _fleet()
    role, ident = fleet.resolve(name)
    session, _ = fleet.require_live(role, ident)
    argv = ["tmux", "-L", session.socket, "attach", "-t", f"={session.session}"]
    if as_json:
        output({"command": argv}, True)
        return
    os.execvp("tmux", argv)


@app.command("stop")
def stop(
    name: str,
    grace: float = typer.Option(5.0, "--grace", help="Seconds per step.", callback=finite),
    as_json: bool = JSON,
) -> None:
    """Stop the session: interrupt, then terminate, then kill the process group."""
    fleet = _fleet()
    role, ident = fleet.resolve(name)
    live = fleet.stop(role, ident, grace)
    output(
        {"identity": f"{role}/{ident}", **live.to_json()},
        as_json,
        f"stopped {role}/{ident} ({live.state}, exit {live.exit_code})",
    )


@app.command("restart")
def restart(
    name: str,
    fresh: bool = typer.Option(False, "--fresh", help="Do not resume the conversation."),
    as_json: bool = JSON,
) -> None:
    """Seance restart: same identity, next incarnation, primed with its predecessor's hook,
    checkpoint, resumption notes and screen."""
    fleet = _fleet()
    role, ident = fleet.resolve(name)
    session = fleet.restart(role, ident, fresh=fresh, reason="restarted by operator")
    output(session, as_json, _session_text)


@crew_app.command("add")
def crew_add(
    name: str,
    initiative: str = typer.Option(..., "--initiative", help="What this crew member drives."),
    runtime: str = typer.Option("claude", "--runtime", help="Runtime preset."),
    start: bool = typer.Option(False, "--start", help="Also start its session now."),
    as_json: bool = JSON,
) -> None:
    """A long-lived identity `crew/NAME` with its own worktree and no work obligation;
    exempt from patrol nudges (still restarted when it crashes)."""
    from bosun.agents.fleet import SpawnRequest  # lazy: CLI start-up time

    fleet = _fleet()
    if start:
        session = fleet.spawn(
            SpawnRequest(name=name, role="crew", preset=runtime, crew=True, initiative=initiative)
        )
        output(session, as_json, _session_text)
        return
    from bosun.gitops.worktrees import Worktrees  # lazy: CLI start-up time

    ctx = fleet.ctx
    tree = Worktrees(ctx.paths, ctx.config).create(name)
    identity = ctx.identities.create(
        "crew", name, runtime=runtime, initiative=initiative, crew=True, worktree=str(tree.path)
    )
    output(
        identity,
        as_json,
        f"crew/{name} ready in {tree.path} (start it with "
        f"`bosun agent spawn {name} --role crew --runtime {runtime}`)",
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="agent")
    root.add_typer(crew_app, name="crew")
