"""The environment a session starts with: explicit, and free of nested-session variables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

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


# What every session gets from bosun's environment, whatever its preset's `pass_env` says.
BASE_ENV = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LC_*",
    "TZ",
    "TMPDIR",
    "TERM",
    "COLORTERM",
    "XDG_*",
    "SSL_CERT_*",
    "SSH_AUTH_SOCK",
    "GIT_AUTHOR_*",
    "GIT_COMMITTER_*",
    "BOSUN_*",
    "VIRTUAL_ENV",
    "PYTHONPATH",
)


def session_environment(
    base: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
    allow: Iterable[str] = ("*",),
) -> dict[str, str]:
    """`base` without nested-session variables and `unset`, kept to BASE_ENV and the glob
    patterns in `allow` (a preset's `pass_env`; `*` keeps everything), then `extra` on top."""
    drop = set(NESTED_SESSION_VARS) | set(unset)
    patterns = (*BASE_ENV, *allow)
    env = {
        k: v
        for k, v in base.items()
        if k not in drop and any(fnmatchcase(k, pattern) for pattern in patterns)
    }
    env.update(extra or {})
    return env
