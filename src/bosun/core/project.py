"""Creating a project: `.bosun/` in a git repository, its config, its database."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from bosun.base.config import load_config, render_default_toml
from bosun.base.errors import NotAProject
from bosun.base.paths import STATE_DIR, ProjectPaths, atomic_write_text, git_toplevel
from bosun.store.open import open_store


@dataclass(frozen=True)
class InitResult:
    root: Path
    created: bool
    database: str
    excluded: bool


def init_project(start: Path, env: dict[str, str] | None = None) -> InitResult:
    """Create (or check) `.bosun/` at the top of the git repository containing `start`."""
    root = git_toplevel(start)
    if root is None:
        raise NotAProject(
            f"{start} is not inside a git repository",
            "run `git init` first, or cd into your repository",
        )
    paths = ProjectPaths(root)
    created = not paths.home.exists()
    paths.home.mkdir(exist_ok=True)
    for sub in (paths.state / "identities", paths.state / "hooks", paths.logs, paths.runs):
        sub.mkdir(parents=True, exist_ok=True)
    if not paths.config.exists():
        atomic_write_text(paths.config, render_default_toml())
    excluded = _exclude(root)
    config = load_config(paths.config, env)
    store = open_store(paths, config, create=True)
    try:
        location = store.location
    finally:
        store.close()
    return InitResult(root=root, created=created, database=location, excluded=excluded)


def _exclude(root: Path) -> bool:
    """Add `.bosun/` to the repository's info/exclude (shared by all its worktrees)."""
    common = subprocess.run(
        ["git", "rev-parse", "--git-common-dir"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    exclude = (root / common).resolve() / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    lines = exclude.read_text().splitlines() if exclude.exists() else []
    entry = f"/{STATE_DIR}/"
    if entry in lines:
        return False
    atomic_write_text(exclude, "\n".join([*lines, entry]) + "\n")
    return True
