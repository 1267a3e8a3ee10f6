"""The queue's own scratch worktree (`.bosun/merge/<target>`) and building candidates in it.

Never a user's or an agent's worktree. A copy of each request's branch is rebased onto the
candidate so far: a single-commit branch by `git merge-tree` + `commit-tree` (no checkout),
a longer one by `git rebase` on a detached HEAD in the scratch tree (a temporary branch with
no name). The agent's branch never moves; the result is the next candidate. A conflict is
aborted and reported with the conflicting files, and the chain goes on without it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from bosun.base.errors import GitError
from bosun.gitops.git import Git, failure, identity_env
from bosun.mergequeue.records import MergeRequest

BLAME_AFTER = 3  # a git error while rebasing a request fails it only on this attempt
STALE_REF_LOCK_S = 30.0  # git holds a ref lock for milliseconds
_AUTHOR = re.compile(r"^author (?P<name>.*) <(?P<email>.*)> (?P<date>\d+ [+-]\d{4})$")


@dataclass(frozen=True)
class Link:
    request: MergeRequest
    head: str  # the branch tip that was rebased
    commit: str  # the candidate that contains this request and every link before it


@dataclass
class Chain:
    base: str
    links: list[Link] = field(default_factory=list)
    conflicts: list[tuple[MergeRequest, list[str]]] = field(default_factory=list)
    broken: list[tuple[MergeRequest, str]] = field(default_factory=list)  # with the reason

    def tip(self, prefix: int) -> str:
        """The candidate of the first `prefix` links (0 = the base)."""
        return self.links[prefix - 1].commit if prefix else self.base


class Scratch:
    def __init__(self, repo: Git, home: Path, target: str) -> None:
        self.repo = repo
        self.target = target
        self.path = home / "merge" / target
        self.git = repo.at(self.path)
        self._env = identity_env(repo)
        self._at: str | None = None  # the commit the scratch tree is known to be clean at
        self._junk = False  # a gate ran here since the last clean

    def prepare(self, base: str) -> list[str]:
        """A clean scratch worktree. Returns the files it had to reset (left by a processor
        that died, or by hand); their changes are never merged."""
        if not self._registered():
            self.repo.run("worktree", "prune")
            if self.path.exists() and any(self.path.iterdir()):
                aside = self.path.with_name(f"{self.path.name}.stale-{int(time.time())}")
                self.path.rename(aside)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.repo.run("worktree", "add", "--detach", str(self.path), base)
            self._at, self._junk = base, False
            return []
        if not self._abort_leftovers():
            self.rebuild()
            return self.prepare(base)
        dirty = self.git.dirty_files()
        if dirty:
            self.checkout(base)
        return dirty

    def repair(self) -> list[str]:
        """At processor start, holding the lease, with a dead processor's gates ended: remove
        the lock files it left in the scratch tree's git dir (only ones no live process has
        open), abort its half-done rebase or merge, and rebuild the tree when that does not
        leave it usable. Returns what was done, for the event log."""
        done: list[str] = []
        gitdir = self._gitdir()
        if gitdir is not None and gitdir.is_dir():
            for lock in sorted(gitdir.glob("*.lock")):
                if not held_open(lock):
                    lock.unlink(missing_ok=True)
                    done.append(f"removed stale {lock.name}")
        common = self.repo.try_run("rev-parse", "--path-format=absolute", "--git-common-dir")
        if common.ok:  # the target's ref lock: the user's git may take it too, so also by age
            lock = Path(common.stdout.strip()) / "refs" / "heads" / f"{self.target}.lock"
            with contextlib.suppress(OSError):
                if time.time() - lock.stat().st_mtime > STALE_REF_LOCK_S and not held_open(lock):
                    lock.unlink()
                    done.append(f"removed stale refs/heads/{self.target}.lock")
        if not self._registered():
            return done
        if not self._abort_leftovers() or not self.git.try_run("status", "--porcelain").ok:
            self.rebuild()
            done.append("rebuilt the scratch tree")
        return done

    def rebuild(self) -> None:
        """Throw the scratch tree away; the next `prepare` adds it again from scratch."""
        self.repo.try_run("worktree", "remove", "--force", "--force", str(self.path))
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)
        self.repo.try_run("worktree", "prune")
        self._at, self._junk = None, False

    def checkout(self, commit: str) -> None:
        """Detach at `commit`, discarding anything in the scratch tree (bosun's own files)."""
        self.git.run("checkout", "--quiet", "--detach", "--force", commit)
        self.git.run("clean", "-ffdxq")
        self._at, self._junk = commit, False

    def for_gate(self, commit: str) -> None:
        """Make the tree exactly `commit` for a gate run; afterwards it may hold junk."""
        if self._at != commit or self._junk:
            self.checkout(commit)
        self._at, self._junk = None, True

    def build(self, base: str, requests: list[MergeRequest]) -> Chain:
        chain = Chain(base)
        for request in requests:
            head = self.repo.rev(f"refs/heads/{request.branch}")
            if head is None:
                chain.broken.append((request, f"branch {request.branch} does not exist"))
                continue
            if request.approved_head:  # reviewed: exactly the approved commit, not a later one
                head = self.repo.rev(request.approved_head)
                if head is None:
                    chain.broken.append(
                        (request, f"approved commit {request.approved_head} does not exist")
                    )
                    continue
            try:
                result = self._rebase(head, chain.tip(len(chain.links)))
            except GitError as exc:
                if request.attempts < BLAME_AFTER:
                    raise  # most likely the scratch tree, not the request: queued again
                chain.broken.append(
                    (request, f"rebase failed in {request.attempts} attempts: {exc.message}")
                )
                continue
            if isinstance(result, list):
                chain.conflicts.append((request, result))
            else:
                chain.links.append(Link(request, head, result))
        return chain

    def _rebase(self, head: str, onto: str) -> str | list[str]:
        """Rebase a copy of `head` onto `onto`: the new candidate, or the conflicting files.
        The agent's branch itself never moves."""
        plan = self.repo.lines("rev-list", "--parents", f"{onto}..{head}")
        if not plan:
            return onto  # already contained: nothing to add
        if len(plan) == 1 and len(plan[0].split()) == 2:
            return self._replay_one(plan[0].split()[0], onto)
        return self._rebase_in_tree(head, onto)

    def _replay_one(self, commit: str, onto: str) -> str | list[str]:
        """A single-commit branch without touching the worktree: a three-way merge with
        the commit's parent as base (exactly what rebase does), then a copy of the commit."""
        merged = self.repo.try_run(
            "merge-tree", "--write-tree", "--name-only", "--no-messages", onto, commit
        )
        lines = merged.stdout.splitlines()
        if merged.returncode == 1:
            return sorted({line for line in lines[1:] if line})
        if not merged.ok:
            raise failure(merged)
        tree = lines[0].strip()
        if tree == self.repo.tree(onto):
            return onto  # its change is already there: dropped, as rebase drops it
        raw = self.repo.try_run("cat-file", "commit", commit).stdout
        header, _, message = raw.partition("\n\n")
        author = next((ln for ln in header.splitlines() if ln.startswith("author ")), "")
        match = _AUTHOR.match(author)
        env = dict(self._env)
        if match:
            env.update(
                GIT_AUTHOR_NAME=match["name"],
                GIT_AUTHOR_EMAIL=match["email"],
                GIT_AUTHOR_DATE=match["date"],
            )
        return self.repo.run("commit-tree", tree, "-p", onto, "-F", "-", input=message, env=env)

    def _rebase_in_tree(self, head: str, onto: str) -> str | list[str]:
        """`git rebase` of a copy of `head` on a detached HEAD in the scratch tree."""
        if self._junk:
            self.checkout(onto)
        self._at = None
        attempt = self.git.try_run(
            "rebase", "--no-verify", "--no-autostash", onto, head, env=self._env
        )
        if attempt.ok:
            self._at = self.git.run("rev-parse", "HEAD")
            return self._at
        files = self.git.lines("diff", "--name-only", "--diff-filter=U")
        self.git.try_run("rebase", "--abort")
        if not files:  # a failure that is not a conflict: name what git said
            raise failure(attempt)
        return sorted(files)

    def _abort_leftovers(self) -> bool:
        """Abort a rebase or merge a dead processor left half-done in the scratch tree;
        False when one is still in progress afterwards (the tree needs a rebuild)."""
        gitdir = self._gitdir()
        if gitdir is None:
            return False
        if (gitdir / "rebase-merge").exists() or (gitdir / "rebase-apply").exists():
            self.git.try_run("rebase", "--abort")
        if (gitdir / "MERGE_HEAD").exists():
            self.git.try_run("merge", "--abort")
        return not any(
            (gitdir / name).exists() for name in ("rebase-merge", "rebase-apply", "MERGE_HEAD")
        )

    def _gitdir(self) -> Path | None:
        try:
            text = (self.path / ".git").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if not text.startswith("gitdir:"):
            return None
        path = Path(text.removeprefix("gitdir:").strip())
        return path if path.is_absolute() else (self.path / path).resolve()

    def _registered(self) -> bool:
        gitdir = self._gitdir()
        return gitdir is not None and (gitdir / "HEAD").is_file()


def held_open(path: Path) -> bool:
    """True when a live process has `path` open (Linux /proc). Without /proc, assume it is:
    a lock is removed only on positive evidence that nobody holds it."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return True
    target = str(path.resolve())
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    return True
            except OSError:
                continue
    return False
