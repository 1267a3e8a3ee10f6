"""Where a spawned session runs: the identity's own worktree, the repository root, or an
explicit directory inside the repository (refused before anything changes when bad)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bosun.base.errors import InvalidInput
from bosun.gitops.worktrees import Worktrees

if TYPE_CHECKING:
    from bosun.core.context import Context


def project_root(ctx: Context) -> Path:
    if ctx.paths is None:
        raise InvalidInput("agents need a project", "run `bosun init` in your repository")
    return ctx.paths.root


def choose_worktree(ctx: Context, name: str, worktree: str) -> Path:
    """`worktree`: auto (the identity's own, reused even when dirty: it holds its work),
    none (the repository root) or a path inside the repository."""
    root = project_root(ctx)
    if worktree == "none":
        return root
    if worktree == "auto":
        assert ctx.paths is not None
        tree = Worktrees(ctx.paths, ctx.config).create(name, allow_dirty=True)
        return Path(tree.path)
    return explicit_worktree(root, worktree)


def explicit_worktree(root: Path, value: str) -> Path:
    path = Path(value).expanduser().resolve()
    try:
        path.relative_to(root)
    except ValueError:
        raise InvalidInput(
            f"worktree {path} is outside the repository {root}",
            "use --worktree auto, none, or a path inside the repository",
        ) from None
    if not path.is_dir():
        raise InvalidInput(f"worktree {path} does not exist", "create it or use auto")
    return path
