"""The git runner and branch primitives, on real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bosun.base.config import default_config
from bosun.base.errors import GitError, NotFound
from bosun.gitops.branches import (
    branch_for,
    cas_update_ref,
    delete_branch_if_contained,
    is_contained,
    main_branch,
)
from bosun.gitops.git import Git, is_repository


def sh(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def commit(repo: Path, name: str, text: str) -> str:
    (repo / name).write_text(text)
    sh(repo, "add", name)
    sh(repo, "commit", "-q", "-m", f"add {name}")
    return sh(repo, "rev-parse", "HEAD")


def test_failures_become_one_line_git_errors(git_repo: Path) -> None:
    git = Git(git_repo)
    with pytest.raises(GitError) as caught:
        git.run("rev-parse", "--verify", "no-such-ref")
    assert "\n" not in caught.value.message
    assert caught.value.message.startswith("git rev-parse --verify no-such-ref failed: fatal:")
    assert caught.value.hint
    with pytest.raises(GitError, match="No such file or directory"):
        Git(git_repo / "missing").run("status")
    with pytest.raises(GitError, match="git is not installed"):
        Git(git_repo, env={"PATH": str(git_repo / "no-bin")}).run("status")


def test_argv_is_never_run_through_a_shell(git_repo: Path) -> None:
    git = Git(git_repo)
    assert git.rev("main; touch pwned") is None
    assert not (git_repo / "pwned").exists()


def test_main_branch_detection(git_repo: Path) -> None:
    git = Git(git_repo)
    config = default_config()
    assert main_branch(git, config) == "main"
    sh(git_repo, "branch", "-m", "main", "master")
    assert main_branch(git, config) == "master"
    sh(git_repo, "branch", "trunk")
    assert main_branch(git, config.with_overrides(main_branch="trunk")) == "trunk"
    with pytest.raises(NotFound, match="main_branch 'nope' does not exist"):
        main_branch(git, config.with_overrides(main_branch="nope"))
    sh(git_repo, "branch", "-m", "master", "other")
    with pytest.raises(NotFound, match="neither a main nor a master"):
        main_branch(git, config)


def test_branch_names_come_from_one_configurable_prefix() -> None:
    config = default_config()
    assert branch_for(config, "toast") == "bosun/toast"
    assert (
        branch_for(config.with_overrides(worktrees__branch_prefix="agents/"), "toast")
        == "agents/toast"
    )


def test_compare_and_swap_of_a_ref(git_repo: Path) -> None:
    git = Git(git_repo)
    old = git.rev("main")
    sh(git_repo, "branch", "side")
    new = commit(git_repo, "x.txt", "x")  # main moved to new
    assert not cas_update_ref(git, "refs/heads/side", new, new)  # side is not at `new`
    assert cas_update_ref(git, "refs/heads/side", new, old)
    assert git.rev("side") == new


def test_containment_is_proven_by_patch_identity_after_a_rebase(git_repo: Path) -> None:
    git = Git(git_repo)
    sh(git_repo, "checkout", "-q", "-b", "feat")
    feat = commit(git_repo, "f.txt", "f")
    sh(git_repo, "checkout", "-q", "main")
    commit(git_repo, "m.txt", "m")
    assert not is_contained(git, feat, "main")
    sh(git_repo, "cherry-pick", feat)  # the queue's rebase lands a copy of it
    assert is_contained(git, feat, "main")
    assert delete_branch_if_contained(git, "feat", feat, "main") == "deleted"
    assert git.rev("refs/heads/feat") is None
    assert is_repository(git_repo) and not is_repository(git_repo / "nope")


def test_a_branch_with_unlanded_work_is_never_deleted(git_repo: Path) -> None:
    git = Git(git_repo)
    sh(git_repo, "checkout", "-q", "-b", "wip")
    tip = commit(git_repo, "w.txt", "w")
    sh(git_repo, "checkout", "-q", "main")
    assert delete_branch_if_contained(git, "wip", tip, "main") == (
        "kept: not proven contained in the target"
    )
    assert delete_branch_if_contained(git, "wip", "0" * 40, "main").startswith("kept: it moved")
    assert git.rev("refs/heads/wip") == tip
