"""The sim agent's answer to a merge conflict: rebase onto the target, keep both sides.

When the merge queue hands the work back with MERGE_FAILED (reason `conflict`), a coding
agent rebases its branch onto the target and resolves the conflicts. The sim resolves
each conflicting file as a union of both sides (`git merge-file --union`): right for the
additive changes a task script makes (a changelog line, a registry entry), and never a
loss — every line of both sides stays.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from pathlib import Path

from bosun.runtime.sim.workspace import StepFailed, Workspace

MAX_ROUNDS = 100  # commits replayed in one rebase, each of which may stop on a conflict


def rebasing(workspace: Workspace) -> bool:
    """Is a rebase stopped in this working directory?"""
    for name in ("rebase-merge", "rebase-apply"):
        path = Path(workspace.git("rev-parse", "--git-path", name))
        if not path.is_absolute():
            path = workspace.cwd / path
        if path.exists():
            return True
    return False


def rebase_onto(workspace: Workspace, target: str) -> list[str]:
    """Rebase the current branch onto `target`, resolving every conflict as a union of both
    sides. Returns the files resolved; aborts the rebase and raises `StepFailed` when it
    cannot finish (the branch is then as it was)."""
    resolved: list[str] = []
    try:
        workspace.git("rebase", target)
        return resolved
    except StepFailed:
        if not rebasing(workspace):
            raise
    for _ in range(MAX_ROUNDS):
        if not rebasing(workspace):
            return resolved
        conflicted = [
            f for f in workspace.git("diff", "--name-only", "--diff-filter=U").splitlines() if f
        ]
        try:
            for name in conflicted:
                union_resolve(workspace, name)
                workspace.git("add", "--", name)
                if name not in resolved:
                    resolved.append(name)
            workspace.git("-c", "core.editor=true", "rebase", "--continue")
        except StepFailed:
            if not rebasing(workspace) or not _unmerged(workspace):
                _abort(workspace)
                raise
    _abort(workspace)
    raise StepFailed(
        f"the rebase onto {target} did not finish in {MAX_ROUNDS} rounds",
        "resolve it by hand in the worktree",
    )


def _unmerged(workspace: Workspace) -> bool:
    return bool(workspace.git("diff", "--name-only", "--diff-filter=U"))


def _abort(workspace: Workspace) -> None:
    if rebasing(workspace):
        with contextlib.suppress(StepFailed):
            workspace.git("rebase", "--abort")


def _stage(workspace: Workspace, number: int, name: str) -> str:
    """The file's content at index stage `number` (1 base, 2 ours, 3 theirs); "" if absent."""
    try:
        return workspace.git_raw("show", f":{number}:{name}")
    except StepFailed:
        return ""


def union_resolve(workspace: Workspace, name: str) -> None:
    """Write the union of both sides of a conflicted file (upstream's lines first)."""
    with tempfile.TemporaryDirectory(prefix="bosun-sim-union-") as tmp:
        parts = []
        for number, label in ((2, "ours"), (1, "base"), (3, "theirs")):
            path = Path(tmp) / label
            path.write_text(_stage(workspace, number, name), encoding="utf-8")
            parts.append(str(path))
        try:
            out = subprocess.run(
                ["git", "merge-file", "-p", "--union", *parts],
                cwd=workspace.cwd,
                env=workspace.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StepFailed(f"git merge-file could not run: {exc}", "is git installed?") from exc
        if out.returncode < 0 or out.returncode > 127:
            raise StepFailed(
                f"git merge-file failed on {name}: {out.stderr.strip()}", "resolve it by hand"
            )
    target = (workspace.cwd / name).resolve()
    root = workspace.cwd.resolve()
    if root not in target.parents:
        raise StepFailed(f"{name} resolves outside {root}", "resolve it by hand")
    target.write_text(out.stdout, encoding="utf-8")
