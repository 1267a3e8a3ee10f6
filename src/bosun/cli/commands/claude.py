"""`bosun hooks install` and `bosun claude-hook EVENT` (Claude Code integration)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import typer

from bosun.base.errors import InvalidInput
from bosun.cli.common import JSON, output, project

if TYPE_CHECKING:
    from bosun.core.context import Context

hooks_app = typer.Typer(help="Agent CLI integrations (Claude Code hooks).", no_args_is_help=True)


@hooks_app.command("install")
def install(
    runtime: str = typer.Option("claude", "--runtime", help="Only `claude` has hooks."),
    into_project: bool = typer.Option(
        False, "--project", help="Also merge into the repo's .claude/settings.json."
    ),
    as_json: bool = JSON,
) -> None:
    """Write the settings file bosun passes to Claude Code with --settings (hooks for
    SessionStart, PreCompact, Stop, UserPromptSubmit, Notification, and the status line)."""
    from bosun.agents.claude.install import install as write  # lazy: CLI start-up time

    if runtime != "claude":
        raise InvalidInput(
            f"runtime {runtime!r} has no hook integration",
            "only claude has hooks; others get nudges and file mirrors",
        )
    ctx = project()
    assert ctx.paths is not None
    result = write(ctx.paths.home, ctx.paths.root if into_project else None)
    output(
        result,
        as_json,
        f"wrote {result['settings_file']}"
        + (f" and merged into {result['project_settings']}" if into_project else ""),
    )


def claude_hook(
    event: str = typer.Argument(
        ..., help="SessionStart, PreCompact, Stop, UserPromptSubmit, Notification or statusline."
    ),
    as_json: bool = JSON,
) -> None:
    """Handle one Claude Code hook event (stdin: its JSON). Fails open: prints nothing and
    exits 0 when bosun itself cannot help. --json changes nothing (output is JSON already)."""
    # imported in the command, not at the top: CLI start-up time
    from bosun.agents.claude.handlers import handle
    from bosun.core.context import open_project

    text, code = handle(
        event, sys.stdin.read(), os.environ, open_project, observe_turn=_sentinel_observes
    )
    if text:
        sys.stdout.write(text + "\n")
    raise typer.Exit(code)


def _sentinel_observes(ctx: Context, identity: str, text: str) -> None:
    """The Stop hook's turn observer: the sentinel reads every finished turn."""
    # imported here, not at the top: only a Stop event needs it (hook start-up time)
    from bosun.sentinel.service import observe_safely

    observe_safely(ctx, identity, None, text)


def register(root: typer.Typer) -> None:
    root.add_typer(hooks_app, name="hooks")
    root.command("claude-hook")(claude_hook)
