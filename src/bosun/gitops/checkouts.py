"""Bringing a checkout of a branch along after the branch moved by ref update.

When the merge queue moves `main` by compare-and-swap, a worktree with `main` checked out
still has the old files in its index and on disk. Left like that, HEAD says "new" and the
index says "old": the landed change shows as staged reversals, and the next ordinary
`git commit` there takes it out of main again. So the update is retried while another git
process holds the index lock, verified afterwards, and reported with the exact repair
command when it cannot be done.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bosun.gitops.git import Git

# Waits between attempts while `index.lock` is held (an editor's `git status`): ~6 s.
LOCK_WAITS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)


@dataclass(frozen=True)
class CheckoutSync:
    path: Path
    old: str
    new: str
    ok: bool
    reason: str = ""
    attempts: int = 1

    @property
    def repair(self) -> str:
        """The command that finishes the update by hand (it keeps unrelated local changes)."""
        return f"git -C {shlex.quote(str(self.path))} read-tree -m -u {self.old} {self.new}"

    @property
    def problem(self) -> str:
        return (
            f"{self.path}: files not updated to {self.new[:12]} ({self.reason}); "
            f"a commit there would undo the landed change: run `{self.repair}`"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "old": self.old,
            "new": self.new,
            "ok": self.ok,
            "reason": self.reason,
            "attempts": self.attempts,
            "repair": self.repair,
        }


def sync_checkout(
    git: Git,
    path: Path,
    old: str,
    new: str,
    waits: Sequence[float] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CheckoutSync:
    """Fast-forward the index and files of the checkout at `path` from `old` to `new`
    (`read-tree -m -u`: keeps local changes, refuses to overwrite them), retrying while
    the index is locked, then verify that no landed path is left behind in the index."""
    for attempt, wait in enumerate((*(LOCK_WAITS if waits is None else waits), None), start=1):
        result = git.try_run("read-tree", "-m", "-u", old, new)
        if result.ok:
            behind = stale_paths(git, old, new)
            if not behind:
                return CheckoutSync(path, old, new, True, attempts=attempt)
            shown = ", ".join(behind[:3]) + (" …" if len(behind) > 3 else "")
            return CheckoutSync(path, old, new, False, f"index still old at {shown}", attempt)
        text = (result.stderr or result.stdout).strip()
        locked = "index.lock" in text
        if locked and wait is None:
            reason = "another git process held index.lock throughout"
            return CheckoutSync(path, old, new, False, reason, attempt)
        if not locked:
            blocked = bring_clean_paths(git, old, new)
            shown = ", ".join(blocked[:3]) + (" …" if len(blocked) > 3 else "")
            reason = f"local changes in the way at {shown or 'some paths'}; the rest was updated"
            return CheckoutSync(path, old, new, False, reason, attempt)
        assert wait is not None
        sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def bring_clean_paths(git: Git, old: str, new: str) -> list[str]:
    """When the whole update is refused: update every landed path the user has not touched
    (index and file still exactly `old`, no untracked file in the way), so that only the
    paths with local changes can be undone by a commit there. Returns those paths."""
    changed = _z(git, "diff", "--name-only", "-z", "--no-renames", old, new)
    touched = set(_z(git, "diff", "--name-only", "-z", "--no-renames")) | set(
        _z(git, "diff", "--cached", "--name-only", "-z", "--no-renames", old)
    )
    in_new = set(_z(git, "ls-tree", "-r", "-z", "--name-only", new, "--", *changed))
    in_index = set(_z(git, "ls-files", "-z", "--", *changed))
    root = Path(git.run("rev-parse", "--show-toplevel"))
    blocked = sorted(
        p
        for p in changed
        if p in touched or (p not in in_index and (root / p).exists())  # untracked in the way
    )
    clean = [p for p in changed if p not in set(blocked)]
    update = [p for p in clean if p in in_new]
    remove = [p for p in clean if p not in in_new]
    literal = {"GIT_LITERAL_PATHSPECS": "1"}
    if update:
        git.try_run(
            "checkout", new, "--pathspec-from-file=-", "--pathspec-file-nul",
            input="\0".join(update), env=literal,
        )  # fmt: skip
    if remove:
        git.try_run(
            "rm", "-q", "--pathspec-from-file=-", "--pathspec-file-nul",
            input="\0".join(remove), env=literal,
        )  # fmt: skip
    return blocked


def _z(git: Git, *args: str) -> list[str]:
    return [p for p in git.run(*args).split("\0") if p]


def stale_paths(git: Git, old: str, new: str) -> list[str]:
    """Paths changed from `old` to `new` whose staged version is not the one in `new`."""
    changed = set(git.lines("diff", "--name-only", "--no-renames", old, new))
    if not changed:
        return []
    staged = git.lines("diff", "--cached", "--name-only", "--no-renames", new)
    return sorted(changed.intersection(staged))


def index_matches(git: Git, commit: str) -> bool:
    """True when the checkout's index is exactly the tree of `commit`."""
    result = git.try_run("write-tree")
    return result.ok and result.stdout.strip() == git.tree(commit)
