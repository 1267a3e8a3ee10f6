"""Pre-accepting Claude Code's folder-trust dialog in a temporary HOME's ~/.claude.json."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bosun.base.errors import OperationFailed
from bosun.runtime.claude_trust import (
    accept_trust,
    claude_json_path,
    pre_accept_for_worktree,
    trust_paths_for,
)


def test_only_the_trust_flags_change_and_everything_else_is_kept(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    target = claude_json_path(home)
    original = {
        "numStartups": 7,
        "projects": {"/elsewhere": {"allowedTools": ["x"]}, str(tmp_path / "w"): {"history": [1]}},
        "oauthAccount": {"id": "a"},
    }
    target.write_text(json.dumps(original, indent=2))
    target.chmod(0o600)
    (tmp_path / "w").mkdir()
    changed = accept_trust([tmp_path / "w", tmp_path], target)
    assert changed == [str(tmp_path / "w"), str(tmp_path)]
    data = json.loads(target.read_text())
    assert data["numStartups"] == 7 and data["oauthAccount"] == {"id": "a"}
    assert data["projects"]["/elsewhere"] == {"allowedTools": ["x"]}
    assert data["projects"][str(tmp_path / "w")] == {"history": [1], "hasTrustDialogAccepted": True}
    assert data["projects"][str(tmp_path)] == {"hasTrustDialogAccepted": True}
    assert list(data) == list(original)  # key order kept
    assert target.stat().st_mode & 0o777 == 0o600
    assert accept_trust([tmp_path / "w"], target) == []  # idempotent


def test_a_missing_file_is_created_private(tmp_path: Path) -> None:
    target = tmp_path / ".claude.json"
    accept_trust([tmp_path], target)
    assert json.loads(target.read_text()) == {
        "projects": {str(tmp_path): {"hasTrustDialogAccepted": True}}
    }
    assert target.stat().st_mode & 0o777 == 0o600


def test_a_corrupt_file_is_left_untouched(tmp_path: Path) -> None:
    target = tmp_path / ".claude.json"
    target.write_text("{not json")
    with pytest.raises(OperationFailed) as err:
        accept_trust([tmp_path], target)
    assert err.value.code == "claude_json_corrupt"
    assert target.read_text() == "{not json"


def test_a_worktree_is_trusted_together_with_its_git_root(git_repo: Path, tmp_path: Path) -> None:
    worktree = git_repo / ".bosun" / "worktrees" / "toast"
    subprocess.run(
        ["git", "worktree", "add", "-q", "-b", "bosun/toast", str(worktree)],
        cwd=git_repo,
        check=True,
        capture_output=True,
    )
    assert trust_paths_for(worktree) == [worktree.resolve(), git_repo.resolve()]
    home = tmp_path / "home"
    home.mkdir()
    pre_accept_for_worktree(worktree, home)
    projects = json.loads((home / ".claude.json").read_text())["projects"]
    assert set(projects) == {str(worktree.resolve()), str(git_repo.resolve())}
