"""One git worktree per agent identity, at `.bosun/worktrees/<name>` on `<prefix><name>`.

Created from the target branch, reused when it already exists and is clean. Removal refuses
a dirty worktree or unmerged commits unless forced, and a forced removal first saves the
work to `refs/bosun/wip/<name>/<timestamp>`: bosun never destroys work.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bosun.base.clock import Clock, SystemClock
from bosun.base.config import Config
from bosun.base.errors import Conflict, NotFound
from bosun.base.names import check_name
from bosun.base.paths import ProjectPaths
from bosun.gitops.branches import (
    branch_for,
    checked_out_in,
    is_contained,
    list_worktrees,
    main_branch,
    save_wip_ref,
    unmerged_commits,
)
from bosun.gitops.git import Git, identity_env


@dataclass(frozen=True)
class Worktree:
    name: str
    path: Path
    branch: str
    head: str | None
    dirty: tuple[str, ...] = ()
    unmerged: int = 0
    reused: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "branch": self.branch,
            "head": self.head,
            "dirty": list(self.dirty),
            "unmerged_commits": self.unmerged,
            "reused": self.reused,
        }


@dataclass(frozen=True)
class Removal:
    name: str
    path: Path
    branch: str
    saved_ref: str | None
    branch_deleted: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "branch": self.branch,
            "saved_ref": self.saved_ref,
            "branch_deleted": self.branch_deleted,
        }


class Worktrees:
    def __init__(self, paths: ProjectPaths, config: Config, clock: Clock | None = None) -> None:
        self.paths = paths
        self.config = config
        self.clock = clock or SystemClock()
        self.git = Git(paths.root)

    def path_for(self, name: str) -> Path:
        return self.paths.worktrees / check_name(name)

    def branch_for(self, name: str) -> str:
        return branch_for(self.config, check_name(name))

    def target(self) -> str:
        return main_branch(self.git, self.config)

    def create(self, name: str, base: str | None = None, *, allow_dirty: bool = False) -> Worktree:
        """Create the identity's worktree from `base` (the target branch), or reuse it."""
        path, branch = self.path_for(name), self.branch_for(name)
        entry = self._entry(path)
        if entry is not None:
            if entry.branch != branch:
                raise Conflict(
                    f"{path} is checked out on {entry.branch or 'a detached HEAD'}, not {branch}",
                    f"check it out on {branch} or remove it",
                )
            dirty = tuple(self.git.at(path).dirty_files())
            if dirty and not allow_dirty:
                raise Conflict(
                    f"worktree {name} has uncommitted changes ({len(dirty)} files)",
                    "commit them, or remove it with `bosun worktree remove "
                    f"{name} --force` (the work is saved to a ref first)",
                )
            return self._describe(name, path, branch, reused=True)
        if path.exists() and any(path.iterdir()):
            raise Conflict(
                f"{path} exists and is not a git worktree",
                "move the directory away; bosun does not overwrite it",
            )
        self.git.run("worktree", "prune")
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.git.rev(f"refs/heads/{branch}") is not None:
            self.git.run("worktree", "add", str(path), branch)
        else:
            start = base or self.target()
            if self.git.rev(start) is None:
                raise NotFound(f"base {start!r} does not exist", "give an existing branch")
            self.git.run("worktree", "add", "-b", branch, str(path), start)
        return self._describe(name, path, branch, reused=False)

    def list(self) -> list[Worktree]:
        root = self.paths.worktrees.resolve()
        found = []
        for entry in list_worktrees(self.git):
            if entry.path.parent.resolve() == root and not entry.prunable:
                name = entry.path.name
                found.append(self._describe(name, entry.path, entry.branch or "", reused=True))
        return sorted(found, key=lambda w: w.name)

    def get(self, name: str) -> Worktree:
        path = self.path_for(name)
        entry = self._entry(path)
        if entry is None:
            raise NotFound(f"no worktree {name!r}", "list them with `bosun worktree list`")
        return self._describe(name, path, entry.branch or "", reused=True)

    def remove(self, name: str, *, force: bool = False) -> Removal:
        """Remove the worktree; refuse when that would lose work, unless `force` (which
        saves the work to refs/bosun/wip/<name>/<timestamp> first)."""
        current = self.get(name)
        git = self.git.at(current.path)
        saved = None
        if current.dirty or current.unmerged:
            if not force:
                what = (
                    f"{len(current.dirty)} uncommitted files"
                    if current.dirty
                    else f"{current.unmerged} commits not merged into {self.target()}"
                )
                raise Conflict(
                    f"worktree {name} has {what}",
                    f"land them first, or `bosun worktree remove {name} --force` "
                    "to save them to refs/bosun/wip/ and remove the worktree",
                )
            commit = self._snapshot(git, name) if current.dirty else current.head
            assert commit is not None
            saved = save_wip_ref(self.git, name, commit, self._stamp())
        self.git.run("worktree", "remove", "--force", str(current.path))
        deleted = False
        tip = self.git.rev(f"refs/heads/{current.branch}") if current.branch else None
        if tip is not None and not checked_out_in(self.git, current.branch):
            proven = saved is not None or is_contained(self.git, tip, self.target())
            if proven:
                deleted = self.git.ok("update-ref", "-d", f"refs/heads/{current.branch}", tip)
        return Removal(name, current.path, current.branch, saved, deleted)

    # -- internals ---------------------------------------------------------------------------

    def _entry(self, path: Path) -> Any:
        wanted = path.resolve()
        for entry in list_worktrees(self.git):
            if not entry.prunable and entry.path.resolve() == wanted:
                return entry
        return None

    def _describe(self, name: str, path: Path, branch: str, *, reused: bool) -> Worktree:
        git = self.git.at(path)
        head = git.rev("HEAD")
        dirty = tuple(git.dirty_files())
        unmerged = 0
        if head is not None:
            target = self.target()
            if not is_contained(self.git, head, target):
                unmerged = len(unmerged_commits(self.git, head, target))
        return Worktree(name, path, branch, head, dirty, unmerged, reused)

    def _snapshot(self, git: Git, name: str) -> str:
        """A commit holding the whole working tree (untracked files too), parent HEAD,
        built in a private index so the worktree's own index is left alone."""
        with tempfile.TemporaryDirectory(prefix="bosun-wip-") as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            git.run("read-tree", "HEAD", env=env)
            git.run("add", "-A", ".", env=env)
            tree = git.run("write-tree", env=env)
            return git.run(
                "commit-tree",
                tree,
                "-p",
                "HEAD",
                "-m",
                f"bosun: work in progress of {name}, saved before removal",
                env=identity_env(git),
            )

    def _stamp(self) -> str:
        now = self.clock.now()
        return time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{now % 1:.3f}"[1:].replace(
            ".", "-"
        )
