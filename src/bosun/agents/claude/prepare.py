"""What a Claude Code session needs before it starts: bosun's hook settings file, and the
folder-trust answer for its worktree written the documented way (configurable off; the
screen is the fallback)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from bosun.agents.claude.install import install, settings_path
from bosun.base.errors import BosunError
from bosun.runtime.claude_trust import pre_accept_for_worktree
from bosun.runtime.codex_trust import pre_accept_codex_trust

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.runtime.presets import Preset


def prepare_runtime(ctx: Context, preset: Preset, cwd: Path) -> str | None:
    """The settings file to pass the preset (None when it takes none)."""
    if preset.trust == "claude_json" and ctx.config.flag("runtime.claude_trust"):
        with contextlib.suppress(BosunError):  # the dialog is then answered on screen
            pre_accept_for_worktree(cwd)
    if preset.trust == "codex_config" and ctx.config.get("runtime.claude_trust"):
        with contextlib.suppress(BosunError):
            pre_accept_codex_trust(cwd, os.environ)
    if preset.hooks != "claude" or ctx.paths is None:
        return None
    path = settings_path(ctx.paths.home)
    if not path.exists():
        install(ctx.paths.home)
    return str(path)
