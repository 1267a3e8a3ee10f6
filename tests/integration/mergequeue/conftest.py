"""A merge-queue harness over a real git repository and a real project store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BOSUN = [sys.executable, "-m", "bosun"]


def git(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
) -> str:
    out = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=input,
        check=False,
    )
    if check and out.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {out.stderr}")
    return out.stdout.strip()


class Harness:
    def __init__(self, root: Path, ctx: Any) -> None:
        self.root = root
        self.ctx = ctx

    # -- git --------------------------------------------------------------------------------

    def commit_on(
        self,
        branch: str,
        files: dict[str, str | None],
        base: str = "main",
        message: str | None = None,
        env: dict[str, str] | None = None,
    ) -> str:
        """A commit on `branch` (created from `base`) changing `files` (None deletes),
        made with plumbing so no checkout is touched."""
        exists = git(
            self.root, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False
        )
        parent = exists or git(self.root, "rev-parse", base)
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            git(self.root, "read-tree", parent, env=env)
            for path, content in files.items():
                if content is None:
                    git(self.root, "update-index", "--remove", "--force-remove", path, env=env)
                    continue
                blob = git(self.root, "hash-object", "-w", "--stdin", input=content)
                git(
                    self.root,
                    "update-index",
                    "--add",
                    "--cacheinfo",
                    f"100644,{blob},{path}",
                    env=env,
                )
            tree = git(self.root, "write-tree", env=env)
        commit = git(
            self.root,
            "commit-tree",
            tree,
            "-p",
            parent,
            "-m",
            message or f"change {', '.join(files)} on {branch}",
            env=env,
        )
        self.move(branch, commit, parent if exists else "")
        return commit

    def move(self, branch: str, new: str, old: str | None = None) -> None:
        """Point `branch` at `new`; a checked-out branch brings the checkout along."""
        if old is None:
            old = git(self.root, "rev-parse", f"refs/heads/{branch}")
        git(self.root, "update-ref", f"refs/heads/{branch}", new, old)
        if old and git(self.root, "symbolic-ref", "--quiet", "HEAD", check=False) == (
            f"refs/heads/{branch}"
        ):
            git(self.root, "read-tree", "-m", "-u", old, new)

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return git(cwd or self.root, *args)

    def tip(self, ref: str = "main") -> str:
        return git(self.root, "rev-parse", ref)

    def show(self, path: str, ref: str = "main") -> str | None:
        out = subprocess.run(
            ["git", "show", f"{ref}:{path}"],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout if out.returncode == 0 else None

    def log(self, ref: str = "main") -> list[str]:
        return git(self.root, "log", "--format=%s", ref).splitlines()

    # -- queue --------------------------------------------------------------------------------

    def configure(self, **settings: Any) -> None:
        self.ctx.config = self.ctx.config.with_overrides(**settings)

    def enqueue(self, branch: str, **kwargs: Any) -> Any:
        from bosun.mergequeue.queue import MergeQueue

        request, _ = MergeQueue(self.ctx).enqueue(branch, **kwargs)
        return request

    def process(self, **kwargs: Any) -> Any:
        from bosun.mergequeue.processor import process

        reports = process(self.ctx, **kwargs)
        return reports[0] if len(reports) == 1 else reports

    def get(self, request_id: str) -> Any:
        from bosun.mergequeue.queue import MergeQueue

        return MergeQueue(self.ctx).get(request_id)

    def events(self, kind: str) -> list[Any]:
        return self.ctx.events.since(0, kind=kind, limit=100_000)

    def agent(self, name: str, title: str = "a task") -> tuple[str, str]:
        """An identity `polecat/<name>` with work pinned and advanced to merge_ready."""
        ctx = self.ctx
        ctx.identities.create("polecat", name)
        item = ctx.work.create(title)
        ctx.hooks.pin("polecat", name, item.id)
        ctx.hooks.update_phase("polecat", name, "executing")
        ctx.hooks.update_phase("polecat", name, "merge_ready")
        return f"polecat/{name}", item.id

    def cli(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*BOSUN, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=timeout,
            check=False,
        )

    def cli_json(self, *args: str, env: dict[str, str] | None = None) -> Any:
        out = self.cli(*args, "--json", env=env)
        return json.loads(out.stdout)

    def write_config(self, text: str) -> None:
        path = self.root / ".bosun" / "config.toml"
        path.write_text(path.read_text() + "\n" + text)


@pytest.fixture
def mq(project: Path) -> Iterator[Harness]:
    from bosun.core.context import open_project

    ctx = open_project(project, env={})
    try:
        yield Harness(project, ctx)
    finally:
        ctx.close()
        subprocess.run(["git", "worktree", "prune"], cwd=project, capture_output=True, check=False)
