"""The Claude Code settings bosun passes with `--settings`: hooks and the status line.

bosun writes its own file (`.bosun/claude/settings.json`) and never edits the user's
`.claude/settings.json` unless asked (`--project`, which merges bosun's entries into it,
keeping everything else and replacing only earlier bosun entries).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

from bosun.agents.claude.handlers import EVENTS
from bosun.base.errors import ConfigError
from bosun.base.paths import atomic_write_json


def hook_command(event: str) -> str:
    return shlex.join([sys.executable, "-m", "bosun", "claude-hook", event])


def bosun_settings() -> dict[str, Any]:
    hooks = {
        event: [{"hooks": [{"type": "command", "command": hook_command(event), "timeout": 30}]}]
        for event in EVENTS
        if event != "statusline"
    }
    return {
        "hooks": hooks,
        "statusLine": {"type": "command", "command": hook_command("statusline"), "padding": 0},
    }


def mcp_registration() -> dict[str, Any]:
    """bosun's MCP server for Claude Code (`--mcp-config`): thread and hook tools."""
    return {
        "mcpServers": {
            "bosun": {
                "type": "stdio",
                "command": sys.executable,
                "args": ["-m", "bosun", "mcp", "serve"],
            }
        }
    }


def settings_path(home: Path) -> Path:
    return home / "claude" / "settings.json"


def install(home: Path, project_root: Path | None = None) -> dict[str, Any]:
    """Write bosun's settings file; with `project_root`, merge into .claude/settings.json."""
    path = settings_path(home)
    atomic_write_json(path, bosun_settings())
    atomic_write_json(path.with_name("mcp.json"), mcp_registration())
    result: dict[str, Any] = {
        "settings_file": str(path),
        "mcp_config": str(path.with_name("mcp.json")),
        "events": [e for e in EVENTS if e != "statusline"],
    }
    if project_root is not None:
        target = project_root / ".claude" / "settings.json"
        merged = merge_into(_read(target), bosun_settings())
        atomic_write_json(target, merged)
        result["project_settings"] = str(target)
        mcp = project_root / ".mcp.json"
        servers = _read(mcp)
        servers["mcpServers"] = {
            **servers.get("mcpServers", {}),
            **mcp_registration()["mcpServers"],
        }
        atomic_write_json(mcp, servers)
        result["project_mcp"] = str(mcp)
    return result


def merge_into(existing: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """`existing` with bosun's hook entries added (older bosun entries replaced)."""
    merged = dict(existing)
    hooks = dict(merged.get("hooks") or {})
    for event, entries in ours["hooks"].items():
        kept = [e for e in hooks.get(event, []) if not _is_bosun(e)]
        hooks[event] = kept + entries
    merged["hooks"] = hooks
    if "statusLine" not in merged or _is_bosun(merged.get("statusLine")):
        merged["statusLine"] = ours["statusLine"]
    return merged


def _is_bosun(entry: Any) -> bool:
    return "claude-hook" in json.dumps(entry)


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path} is not valid JSON: {exc}",
            "fix it by hand; bosun will not overwrite a file it cannot read",
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} does not hold a JSON object", "fix it by hand")
    return data
