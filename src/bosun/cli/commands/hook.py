"""`bosun hook …`: the work pinned to an identity."""

from __future__ import annotations

import typer

from bosun.cli import hot
from bosun.cli.common import (
    AGENT,
    JSON,
    SECOND,
    agent_and,
    agent_ref,
    output,
    project,
    read_text_arg,
    self_identity,
    table,
)
from bosun.cli.hot import render_hook as _one

app = typer.Typer(help="The work pinned to an identity (its hook).", no_args_is_help=True)
FORCE = typer.Option(
    False,
    "--force",
    help="Act on another identity's hook as an agent (BOSUN_IDENTITY set); recorded as a "
    "hook.forced event naming you.",
)


def _caller() -> str | None:
    """The agent running this command (BOSUN_IDENTITY); None for the operator."""
    me = self_identity()
    return "/".join(me) if me else None


@app.command("pin")
def pin(
    words: list[str] = typer.Argument(..., metavar="ROLE/NAME WORK_ID"),
    summary: str = typer.Option(None, "--summary", help="One line shown in listings."),
    force: bool = FORCE,
    as_json: bool = JSON,
) -> None:
    """Pin WORK_ID to ROLE/NAME (phase `assigned`). An agent (BOSUN_IDENTITY set) pins
    only onto itself unless --force."""
    role, name, work_id = agent_and(words, "WORK_ID")
    hook = project().hooks.pin(role, name, work_id, summary, by=_caller(), force=force)
    output(hook, as_json, _one)


@app.command("show")
def show(agent: str = AGENT, name: str | None = SECOND, as_json: bool = JSON) -> None:
    """Show ROLE/NAME's hook (JSON null when it has none)."""
    role, name = agent_ref(agent, name)
    hook = project().hooks.find(role, name)
    output(hook, as_json, _one(hook) if hook else f"{role}/{name} has no hook")


@app.command("update-phase")
def update_phase(
    words: list[str] = typer.Argument(..., metavar="ROLE/NAME PHASE"),
    force: bool = FORCE,
    as_json: bool = JSON,
) -> None:
    """Move the hook to PHASE (assigned, executing, impl_complete, validating, merge_ready,
    merged, released, blocked), and its work item with it; illegal moves are refused."""
    role, name, phase = agent_and(words, "PHASE")
    hooks = project().hooks
    output(hooks.update_phase(role, name, phase, by=_caller(), force=force), as_json, _one)


@app.command("update-resumption")
def update_resumption(
    words: list[str] = typer.Argument(
        ..., metavar="ROLE/NAME TEXT", help="TEXT: instructions for the next session ('-': stdin)."
    ),
    as_json: bool = JSON,
) -> None:
    """Leave resumption instructions for whoever continues this hook."""
    role, name, text = agent_and(words, "TEXT")
    output(project().hooks.update_resumption(role, name, read_text_arg(text)), as_json, _one)


@app.command("checkpoint")
def checkpoint(
    agent: str = AGENT,
    name: str | None = SECOND,
    note: str = typer.Option(None, "--note", help="What is done so far."),
    as_json: bool = JSON,
) -> None:
    """Record a checkpoint of the hook's progress."""
    hot.checkpoint(*agent_ref(agent, name), note, as_json)


@app.command("release")
def release(
    agent: str = AGENT, name: str | None = SECOND, force: bool = FORCE, as_json: bool = JSON
) -> None:
    """Release the hook: the identity holds no unfinished work afterwards (an in-progress
    work item nobody else holds goes back to open)."""
    role, name = agent_ref(agent, name)
    output(project().hooks.release(role, name, by=_caller(), force=force), as_json, _one)


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """List every hook."""
    hooks = project().hooks.list()
    output(
        hooks,
        as_json,
        lambda hs: table(
            ((f"{h.role}/{h.name}", h.work_id, h.phase, h.summary or "") for h in hs),
            ("IDENTITY", "WORK", "PHASE", "SUMMARY"),
        ),
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="hook")
