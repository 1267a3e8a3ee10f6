"""Agent worktrees: created from the target, reused when clean, never removed with work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bosun.base.errors import Conflict, InvalidName, NotFound
from bosun.core.context import open_project
from bosun.gitops.worktrees import Worktrees


def sh(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def trees(project: Path):  # type: ignore[no-untyped-def]
    ctx = open_project(project, env={})
    try:
        yield Worktrees(ctx.paths, ctx.config, ctx.clock)
    finally:
        ctx.close()
        subprocess.run(["git", "worktree", "prune"], cwd=project, check=False)


def test_create_then_reuse_when_clean(trees, project: Path) -> None:
    created = trees.create("toast")
    assert created.path == project / ".bosun" / "worktrees" / "toast"
    assert created.branch == "bosun/toast" and not created.reused
    assert sh(created.path, "rev-parse", "HEAD") == sh(project, "rev-parse", "main")
    again = trees.create("toast")
    assert again.reused and again.path == created.path
    assert [w.name for w in trees.list()] == ["toast"]


def test_a_dirty_worktree_is_not_silently_reused(trees) -> None:
    wt = trees.create("nux")
    (wt.path / "notes.txt").write_text("half done\n")
    with pytest.raises(Conflict, match="uncommitted changes"):
        trees.create("nux")
    assert trees.create("nux", allow_dirty=True).dirty == ("notes.txt",)


def test_existing_branch_is_reused_with_its_commits(trees, project: Path) -> None:
    sh(project, "branch", "bosun/rust")
    sh(project, "checkout", "-q", "bosun/rust")
    (project / "r.txt").write_text("r\n")
    sh(project, "add", "r.txt")
    sh(project, "commit", "-q", "-m", "r")
    sh(project, "checkout", "-q", "main")
    wt = trees.create("rust")
    assert (wt.path / "r.txt").read_text() == "r\n" and wt.unmerged == 1


def test_removal_refuses_dirty_or_unmerged_work(trees, project: Path) -> None:
    wt = trees.create("slit")
    (wt.path / "a.txt").write_text("a\n")
    with pytest.raises(Conflict, match="1 uncommitted files"):
        trees.remove("slit")
    sh(wt.path, "add", "a.txt")
    sh(wt.path, "commit", "-q", "-m", "a")
    with pytest.raises(Conflict, match="1 commits not merged into main"):
        trees.remove("slit")
    assert wt.path.is_dir()


def test_forced_removal_saves_everything_to_a_wip_ref_first(trees, project: Path) -> None:
    wt = trees.create("ace")
    (wt.path / "done.txt").write_text("committed\n")
    sh(wt.path, "add", "done.txt")
    sh(wt.path, "commit", "-q", "-m", "done")
    (wt.path / "done.txt").write_text("edited after\n")
    (wt.path / "new.txt").write_text("untracked\n")
    removal = trees.remove("ace", force=True)
    assert removal.saved_ref and removal.saved_ref.startswith("refs/bosun/wip/ace/")
    assert not wt.path.exists() and removal.branch_deleted
    assert sh(project, "show", f"{removal.saved_ref}:done.txt") == "edited after"
    assert sh(project, "show", f"{removal.saved_ref}:new.txt") == "untracked"
    assert sh(project, "show", f"{removal.saved_ref}~1:done.txt") == "committed"


def test_merged_worktree_is_removed_without_force(trees, project: Path) -> None:
    wt = trees.create("max")
    removal = trees.remove("max")
    assert removal.saved_ref is None and removal.branch_deleted and not wt.path.exists()
    with pytest.raises(NotFound):
        trees.remove("max")


def test_bad_names_and_stray_directories(trees, project: Path) -> None:
    with pytest.raises(InvalidName):
        trees.create("../escape")
    stray = project / ".bosun" / "worktrees" / "stray"
    stray.mkdir(parents=True)
    (stray / "file").write_text("someone's\n")
    with pytest.raises(Conflict, match="is not a git worktree"):
        trees.create("stray")
    assert (stray / "file").read_text() == "someone's\n"


def test_worktree_cli(project: Path) -> None:
    def bosun(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bosun", "worktree", *args],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )

    created = json.loads(bosun("create", "cli", "--json").stdout)
    assert created["branch"] == "bosun/cli" and created["reused"] is False
    assert [w["name"] for w in json.loads(bosun("list", "--json").stdout)] == ["cli"]
    (Path(created["path"]) / "x.txt").write_text("x\n")
    refused = bosun("remove", "cli")
    assert refused.returncode == 1 and "uncommitted" in refused.stderr
    removed = json.loads(bosun("remove", "cli", "--force", "--json").stdout)
    assert removed["saved_ref"].startswith("refs/bosun/wip/cli/")
    subprocess.run(["git", "worktree", "prune"], cwd=project, check=False)
