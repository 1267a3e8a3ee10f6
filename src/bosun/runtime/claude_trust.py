"""Pre-accepting Claude Code's folder-trust dialog for a worktree (pitfall 7).

Claude Code keeps the answer in `~/.claude.json` as `projects[<abs path>].hasTrustDialogAccepted`.
bosun sets it for the worktree and for its git root, atomically, and changes nothing else in
the file: every other key, value and the key order stay as they were. A file that is not
valid JSON is left untouched and reported (the dialog is then answered on screen instead).
Claude Code rewrites the file itself, so the write is retried when the file changed between
bosun's read and its rename.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bosun.base.errors import OperationFailed
from bosun.base.paths import atomic_write_text

KEY = "hasTrustDialogAccepted"
ATTEMPTS = 5


def claude_json_path(home: Path | None = None) -> Path:
    """`~/.claude.json`, or `$CLAUDE_CONFIG_DIR/.claude.json` when that is set."""
    if home is None and os.environ.get("CLAUDE_CONFIG_DIR"):
        return Path(os.environ["CLAUDE_CONFIG_DIR"]) / ".claude.json"
    return (home or Path(os.environ.get("HOME") or Path.home())) / ".claude.json"


def trust_paths_for(worktree: Path) -> list[Path]:
    """The worktree and the root of the repository it belongs to (once if they are one)."""
    paths = [worktree.resolve()]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=worktree,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return paths
    if out.returncode == 0 and out.stdout.strip():
        common = Path(out.stdout.strip())
        root = (common.parent if common.name == ".git" else common).resolve()
        if root not in paths:
            paths.append(root)
    return paths


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


def accept_trust(paths: Iterable[Path], claude_json: Path) -> list[str]:
    """Mark each path trusted; return the paths that were not trusted before."""
    wanted = [str(Path(p).resolve()) for p in paths]
    for _ in range(ATTEMPTS):
        before = _stamp(claude_json)
        data = _load(claude_json) if before is not None else {}
        projects = data.setdefault("projects", {})
        if not isinstance(projects, dict):
            raise OperationFailed(
                f"{claude_json}: `projects` is not an object; left it alone",
                "fix the file, or set runtime.claude_trust = false",
                code="claude_json_unexpected",
            )
        changed = []
        for path in wanted:
            entry = projects.setdefault(path, {})
            if not isinstance(entry, dict):
                raise OperationFailed(
                    f"{claude_json}: projects[{path!r}] is not an object; left it alone",
                    "fix the file",
                    code="claude_json_unexpected",
                )
            if entry.get(KEY) is not True:
                entry[KEY] = True
                changed.append(path)
        if not changed:
            return []
        if _stamp(claude_json) != before:
            continue  # Claude Code (or another bosun) wrote it meanwhile: read again
        mode = claude_json.stat().st_mode & 0o777 if before is not None else 0o600
        atomic_write_text(claude_json, json.dumps(data, indent=2, ensure_ascii=False) + "\n", mode)
        return changed
    raise OperationFailed(
        f"{claude_json} kept changing while bosun updated it",
        "try again; the dialog is also answered on screen",
        code="claude_json_busy",
    )


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise OperationFailed(
            f"{path} is not valid JSON; bosun left it untouched",
            "fix or remove it; the trust dialog will be answered on screen",
            code="claude_json_corrupt",
        ) from exc
    if not isinstance(data, dict):
        raise OperationFailed(
            f"{path} does not hold a JSON object; left it untouched",
            "fix the file",
            code="claude_json_unexpected",
        )
    return data


def pre_accept_for_worktree(worktree: Path, home: Path | None = None) -> list[str]:
    """Trust the worktree and its git root in `<home>/.claude.json`."""
    return accept_trust(trust_paths_for(worktree), claude_json_path(home))
