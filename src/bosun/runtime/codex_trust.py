"""Pre-accepting Codex's folder-trust dialog ("Trust this folder?") for a worktree.

Codex 0.171 keeps the answer in `$CODEX_HOME/config.toml` (default `~/.codex`) as
`[projects."<abs path>"] trust_level = "trusted"`. bosun appends that table for the
worktree when it is missing, atomically, and changes nothing else in the file. A file that
is not valid TOML is left untouched (the dialog is then answered on screen instead).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

from bosun.base.errors import OperationFailed
from bosun.base.paths import atomic_write_text


def codex_config_path(env: Mapping[str, str]) -> Path:
    home = env.get("CODEX_HOME") or str(Path(env.get("HOME") or Path.home()) / ".codex")
    return Path(home) / "config.toml"


def pre_accept_codex_trust(worktree: Path, env: Mapping[str, str]) -> bool:
    """Mark `worktree` trusted for Codex; False when it already was."""
    path = codex_config_path(env)
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        config = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise OperationFailed(
            f"cannot read {path}: {exc}", "Codex's trust dialog is answered on screen instead"
        ) from exc
    key = str(worktree.resolve())
    projects = config.get("projects") or {}
    if isinstance(projects, dict) and (projects.get(key) or {}).get("trust_level") == "trusted":
        return False
    addition = f'\n[projects.{json.dumps(key)}]\ntrust_level = "trusted"\n'
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, (text.rstrip("\n") + "\n" if text else "") + addition)
    return True
