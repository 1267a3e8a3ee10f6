"""`bosun worktree …`: one git worktree per agent, at .bosun/worktrees/<name>."""

from __future__ import annotations

from typing import Any

import typer

from bosun.cli.common import JSON, output, project, table

app = typer.Typer(
    help="Agent worktrees (.bosun/worktrees/NAME on branch bosun/NAME).", no_args_is_help=True
)


def _worktrees() -> Any:
    from bosun.gitops.worktrees import Worktrees  # lazy: CLI start-up time

    ctx = project()
    assert ctx.paths is not None
    return Worktrees(ctx.paths, ctx.config, ctx.clock)


@app.command("create")
def create(
    name: str,
    base: str = typer.Option(None, "--base", help="Start point (default: the main branch)."),
    as_json: bool = JSON,
) -> None:
    """Create NAME's worktree from the target branch, or reuse it when it is clean."""
    worktree = _worktrees().create(name, base)
    verb = "reused" if worktree.reused else "created"
    output(worktree, as_json, f"{verb} {worktree.path} on {worktree.branch}")


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """List agent worktrees with their branch, dirty files and unmerged commits."""
    output(
        _worktrees().list(),
        as_json,
        lambda ws: table(
            (
                (w.name, w.branch, (w.head or "")[:12], len(w.dirty), w.unmerged, str(w.path))
                for w in ws
            ),
            ("NAME", "BRANCH", "HEAD", "DIRTY", "UNMERGED", "PATH"),
        ),
    )


@app.command("remove")
def remove(
    name: str,
    force: bool = typer.Option(
        False, "--force", help="Remove even with unmerged work (saved to refs/bosun/wip/ first)."
    ),
    as_json: bool = JSON,
) -> None:
    """Remove NAME's worktree; refuses to lose work unless --force, which saves it first."""
    removal = _worktrees().remove(name, force=force)
    saved = f"; work saved to {removal.saved_ref}" if removal.saved_ref else ""
    output(removal, as_json, f"removed {removal.path}{saved}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="worktree")
