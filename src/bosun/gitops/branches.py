"""Branches and refs: the main branch, agent branch names, containment proofs, ref CAS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bosun.base.config import Config
from bosun.base.errors import Conflict, GitError, NotFound
from bosun.gitops.checkouts import CheckoutSync, sync_checkout
from bosun.gitops.git import Git, failure

WIP_NAMESPACE = "refs/bosun/wip"


def branch_for(config: Config, name: str) -> str:
    """The one place an agent's branch name is built: `<worktrees.branch_prefix><name>`."""
    return f"{config.text('worktrees.branch_prefix')}{name}"


def main_branch(git: Git, config: Config) -> str:
    """The project's target branch: the `main_branch` setting, else `main`, else `master`."""
    configured = config.optional_text("main_branch") or ""
    if configured:
        if git.rev(f"refs/heads/{configured}") is None:
            raise NotFound(
                f"main_branch {configured!r} does not exist in {git.cwd}",
                "create the branch or fix main_branch in .bosun/config.toml",
            )
        return configured
    for candidate in ("main", "master"):
        if git.rev(f"refs/heads/{candidate}") is not None:
            return candidate
    raise NotFound(
        f"{git.cwd} has neither a main nor a master branch", "set main_branch in .bosun/config.toml"
    )


def local_branch(git: Git, branch: str, what: str = "branch") -> str:
    """The commit of local branch `branch`; NotFound with a hint when it is missing."""
    sha = git.rev(f"refs/heads/{branch}")
    if sha is None:
        raise NotFound(f"{what} {branch!r} does not exist", "list branches with `git branch`")
    return sha


def is_contained(git: Git, branch_tip: str, target: str) -> bool:
    """Proof that every change of `branch_tip` is in `target`: each commit not reachable
    from the target has a patch-equivalent commit in it (`git cherry` shows no `+`)."""
    if git.is_ancestor(branch_tip, target):
        return True
    out = git.run("cherry", target, branch_tip)
    return all(line.startswith("-") for line in out.splitlines() if line)


def unmerged_commits(git: Git, branch_tip: str, target: str) -> list[str]:
    """Commits of `branch_tip` whose change is not in `target` (oldest first)."""
    out = git.run("cherry", target, branch_tip)
    return [line[2:] for line in out.splitlines() if line.startswith("+")]


def cas_update_ref(git: Git, ref: str, new: str, old: str) -> bool:
    """Move `ref` from `old` to `new` atomically; False when it no longer points at `old`."""
    result = git.try_run("update-ref", "-m", "bosun merge queue", ref, new, old)
    if result.ok:
        return True
    if git.rev(ref) != old:
        return False
    raise failure(result)


@dataclass(frozen=True)
class WorktreeEntry:
    path: Path
    head: str | None
    branch: str | None  # short name, None when detached
    prunable: bool = False


def list_worktrees(git: Git) -> list[WorktreeEntry]:
    entries: list[WorktreeEntry] = []
    block: dict[str, str] = {}
    for line in [*git.run("worktree", "list", "--porcelain").splitlines(), ""]:
        if line:
            key, _, value = line.partition(" ")
            block[key] = value
            continue
        if "worktree" in block:
            ref = block.get("branch")
            entries.append(
                WorktreeEntry(
                    Path(block["worktree"]),
                    block.get("HEAD"),
                    ref.removeprefix("refs/heads/") if ref else None,
                    "prunable" in block,
                )
            )
        block = {}
    return entries


def checked_out_in(git: Git, branch: str) -> list[Path]:
    return [e.path for e in list_worktrees(git) if e.branch == branch and not e.prunable]


def sync_checkouts(git: Git, branch: str, old: str, new: str) -> list[CheckoutSync]:
    """After `branch` moved from `old` to `new` by ref update, bring every worktree that has
    it checked out along (see `bosun.gitops.checkouts`). One result per worktree."""
    return [sync_checkout(git.at(path), path, old, new) for path in checked_out_in(git, branch)]


def catch_up_checkouts(git: Git, branch: str, candidates: list[str]) -> list[CheckoutSync]:
    """Bring along checkouts of `branch` left behind when a process died between moving the
    ref and `sync_checkouts`: a checkout whose index is exactly the tree of one of
    `candidates` (the tips the branch may have moved from) is fast-forwarded from there."""
    tip = git.rev(f"refs/heads/{branch}")
    if tip is None:
        return []
    trees: dict[str, str] = {}
    for commit in candidates:
        if git.rev(commit):
            trees.setdefault(git.tree(commit), commit)
    results = []
    for path in checked_out_in(git, branch):
        here = git.at(path)
        index = here.try_run("write-tree")
        old = trees.get(index.stdout.strip()) if index.ok else None
        if old is None or git.tree(old) == git.tree(tip):
            continue
        results.append(sync_checkout(here, path, old, tip))
    return results


def delete_branch_if_contained(git: Git, branch: str, expected: str, target: str) -> str:
    """Delete `branch` only with proof its work is in `target`; returns what happened."""
    tip = git.rev(f"refs/heads/{branch}")
    if tip is None:
        return "already gone"
    if tip != expected:
        return f"kept: it moved to {tip[:12]} after it was queued"
    if checked_out_in(git, branch):
        return "kept: checked out in a worktree"
    if not is_contained(git, tip, target):
        return "kept: not proven contained in the target"
    result = git.try_run("update-ref", "-d", f"refs/heads/{branch}", tip)
    return "deleted" if result.ok else "kept: it changed while being deleted"


def save_wip_ref(git: Git, name: str, commit: str, stamp: str) -> str:
    """Point `refs/bosun/wip/<name>/<stamp>` at `commit` (never overwriting)."""
    ref = f"{WIP_NAMESPACE}/{name}/{stamp}"
    result = git.try_run("update-ref", ref, commit, "")  # "" = must not exist yet
    if not result.ok:
        if git.rev(ref) == commit:
            return ref
        raise Conflict(f"{ref} already exists", "retry in a second") from GitError(result.stderr)
    return ref
