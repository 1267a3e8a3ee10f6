"""The environment a session starts with: explicit, and free of nested-session variables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Variables that make a CLI believe it runs inside another agent or another tmux client.
NESTED_SESSION_VARS = (
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SSE_PORT",
    "CODEX_SANDBOX",
    "CODEX_SANDBOX_NETWORK_DISABLED",
    "GEMINI_CLI",
    "TMUX",
    "TMUX_PANE",
    "BOSUN_IDENTITY",
)


def session_environment(
    base: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
) -> dict[str, str]:
    """`base` without nested-session variables and `unset`, then `extra` on top."""
    drop = set(NESTED_SESSION_VARS) | set(unset)
    env = {k: v for k, v in base.items() if k not in drop}
    env.update(extra or {})
    return env
