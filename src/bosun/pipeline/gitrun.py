"""Git for runs: the run branch and worktree, one commit per node, parallel branches, and
cleanup that never destroys work (a dirty worktree is kept; reset saves a rescue ref first).

Every branch name comes from `build_branch_name`, so no name can start with '/'.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from bosun.base.errors import ConfigError, GitError

_BAD_REF = re.compile(r"[\s~^:?*\[\\]|\.\.|@\{|//|\.lock$|^\.|/\.")


def build_branch_name(prefix: str, *parts: str) -> str:
    """`<prefix>/<part>/…` with slashes trimmed; refuses an empty prefix or a bad ref."""
    head = prefix.strip().strip("/")
    if not head:
        raise ConfigError(
            "the run branch prefix is empty", "set pipeline.run_branch_prefix, e.g. bosun/run"
        )
    pieces = [p.strip().strip("/") for p in parts]
    if any(not p for p in pieces):
        raise ConfigError(f"empty part in branch name {parts!r}", "pass run and node ids")
    name = "/".join([head, *pieces])
    if _BAD_REF.search(name) or name.startswith("/"):
        raise ConfigError(f"{name!r} is not a valid branch name", "use plain ids")
    return name


def run_branch(prefix: str, run_id: str) -> str:
    return build_branch_name(prefix, run_id)


def parallel_branch(prefix: str, run_id: str, fan_node: str, child: str) -> str:
    return build_branch_name(prefix, "parallel", run_id, fan_node, child)


def git(cwd: Path, *args: str, check: bool = True) -> str:
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}", "install git") from exc
    if check and out.returncode != 0:
        raise GitError(
            f"git {' '.join(args[:3])} failed: {out.stderr.strip()[:300]}",
            f"run it by hand in {cwd} to see why",
        )
    return out.stdout.strip()


def repo_root(workspace: Path) -> Path | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=workspace,
            capture_output=True,
            text=True,
            check=False,
        )
    except (OSError, NotADirectoryError):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return Path(out.stdout.strip())


class GitRun:
    """The git side of one run, rooted at the repository that holds the workspace."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._ident: list[str] | None = None

    def _identity(self) -> list[str]:
        if self._ident is None:
            probe = subprocess.run(
                ["git", "var", "GIT_COMMITTER_IDENT"],
                cwd=self.repo,
                capture_output=True,
                text=True,
                check=False,
            )
            self._ident = (
                []
                if probe.returncode == 0
                else ["-c", "user.name=bosun", "-c", "user.email=bosun@localhost"]
            )
        return self._ident

    def head(self, cwd: Path | None = None) -> str:
        return git(cwd or self.repo, "rev-parse", "HEAD")

    def branch_exists(self, name: str) -> bool:
        return bool(
            git(self.repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}", check=False)
        )

    def add_worktree(self, branch: str, path: Path, start: str) -> None:
        """A worktree on a new branch at `start`; an existing branch is saved, then moved."""
        if self.branch_exists(branch):
            self.save_rescue(branch, git(self.repo, "rev-parse", f"refs/heads/{branch}"))
        git(self.repo, "worktree", "add", "-q", "-B", branch, str(path), start)

    def attach_worktree(self, branch: str, path: Path) -> None:
        """Re-create a removed run worktree on its existing branch."""
        git(self.repo, "worktree", "prune")
        git(self.repo, "worktree", "add", "-q", str(path), branch)

    def commit(self, worktree: Path, message: str) -> str:
        git(worktree, "add", "-A")
        git(
            worktree,
            *self._identity(),
            "commit",
            "-q",
            "--allow-empty",
            "--no-verify",
            "-m",
            message,
        )
        return self.head(worktree)

    def merge(self, worktree: Path, branch: str) -> str:
        """Fast-forward to `branch` when possible, else a merge commit."""
        ff = subprocess.run(
            ["git", "merge", "-q", "--ff-only", branch],
            cwd=worktree,
            capture_output=True,
            check=False,
        )
        if ff.returncode != 0:
            git(worktree, *self._identity(), "merge", "-q", "--no-edit", branch)
        return self.head(worktree)

    def is_clean(self, worktree: Path) -> bool:
        return git(worktree, "status", "--porcelain") == ""

    def save_rescue(self, label: str, sha: str) -> str:
        ref = f"refs/bosun/rescue/{label}/{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        git(self.repo, "update-ref", ref, sha)
        return ref

    def reset_to(self, worktree: Path, sha: str, label: str) -> list[str]:
        """Move the worktree to `sha`, first saving uncommitted work and later commits."""
        saved: list[str] = []
        if not self.is_clean(worktree):
            git(worktree, "add", "-A")
            stash = git(worktree, *self._identity(), "stash", "create", "bosun resume")
            if stash:
                saved.append(self.save_rescue(f"{label}/dirty", stash))
        current = self.head(worktree)
        if current != sha:
            saved.append(self.save_rescue(f"{label}/ahead", current))
        git(worktree, "reset", "-q", "--hard", sha)
        return saved

    def remove_worktree(self, worktree: Path) -> bool:
        """Remove a clean worktree (its commits live on its branch); keep a dirty one."""
        if not worktree.exists():
            git(self.repo, "worktree", "prune")
            return True
        if not self.is_clean(worktree):
            return False
        git(self.repo, "worktree", "remove", str(worktree))
        return True
