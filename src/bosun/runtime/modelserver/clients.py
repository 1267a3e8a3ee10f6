"""Pointing a real agent CLI at the model server: its environment and home files.

`prepare_client(tool, url, home)` writes what the CLI reads from its home directory (a
temporary one, so your own configuration is never touched) and returns the environment
variables that make it talk to the server instead of its provider:

- claude: `ANTHROPIC_BASE_URL`, `ANTHROPIC_AUTH_TOKEN`; `~/.claude.json` with onboarding done;
- codex: `CODEX_HOME` with a `config.toml` whose provider `scripted` speaks the Responses
  API at `URL/v1`, its key in `CODEX_SCRIPTED_KEY` (a `CODEX_*` name, which the codex
  preset passes on);
- gemini: `GOOGLE_GEMINI_BASE_URL`, `GEMINI_API_KEY`; `~/.gemini/settings.json` selecting
  API-key auth.

Observed with the pinned versions (docs/agents-observed.md).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

TOOLS = ("claude", "codex", "gemini")
DEFAULT_CLI_DIR = Path.home() / ".cache" / "bosun" / "agent-clis"


def cli_dir() -> Path:
    return Path(os.environ.get("BOSUN_CLI_DIR") or DEFAULT_CLI_DIR)


def find_cli(tool: str) -> str | None:
    """The installed binary (scripts/install-agent-clis.sh's first, then PATH)."""
    local = cli_dir() / "node_modules" / ".bin" / tool
    return str(local) if local.exists() else shutil.which(tool)


def clean_env(home: Path, binaries: list[str]) -> dict[str, str]:
    """A minimal environment: PATH with the CLIs and node, the temporary HOME, no colour."""
    node = shutil.which("node")
    dirs = [str(Path(b).parent) for b in binaries] + ([str(Path(node).parent)] if node else [])
    dirs += ["/usr/local/bin", "/usr/bin", "/bin"]
    return {
        "PATH": os.pathsep.join(dict.fromkeys(dirs)),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
    }


def prepare_client(tool: str, url: str, home: Path) -> dict[str, str]:
    """Write `tool`'s home files under `home`; return the variables pointing it at `url`."""
    home.mkdir(parents=True, exist_ok=True)
    if tool == "claude":
        claude_json = home / ".claude.json"
        if not claude_json.exists():
            claude_json.write_text(json.dumps({"hasCompletedOnboarding": True}))
        return {
            "ANTHROPIC_BASE_URL": url,
            "ANTHROPIC_AUTH_TOKEN": "scripted",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
        }
    if tool == "codex":
        codex_home = home / ".codex"
        codex_home.mkdir(exist_ok=True)
        (codex_home / "config.toml").write_text(
            'model_provider = "scripted"\n\n'
            "[model_providers.scripted]\n"
            'name = "scripted"\n'
            f'base_url = "{url}/v1"\n'
            'wire_api = "responses"\n'
            'env_key = "CODEX_SCRIPTED_KEY"\n'
        )
        return {"CODEX_HOME": str(codex_home), "CODEX_SCRIPTED_KEY": "scripted"}
    if tool == "gemini":
        (home / ".gemini").mkdir(exist_ok=True)
        settings = {"security": {"auth": {"selectedType": "gemini-api-key"}}}
        (home / ".gemini" / "settings.json").write_text(json.dumps(settings))
        return {
            "GOOGLE_GEMINI_BASE_URL": url,
            "GEMINI_API_KEY": "scripted",
            "GEMINI_CLI_TRUST_WORKSPACE": "true",
        }
    raise ValueError(f"no client set-up for {tool!r} (known: {', '.join(TOOLS)})")
