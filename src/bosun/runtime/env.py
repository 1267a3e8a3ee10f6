"""The environment a session starts with: an allow-list, never the operator's whole one.

An agent gets BASE_ENV (the basics every program needs, and bosun's own `BOSUN_*`), the
glob patterns its preset declares in `pass_env` (the CLI's API key, base URL and config
variables), the patterns the project adds (`[agents] pass_env`), and what bosun sets
itself (`extra`). Cloud, GitHub and npm tokens, database passwords and the SSH agent stay
behind unless the user names them.
"""

from __future__ import annotations

import re
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
# No credentials: SSH_AUTH_SOCK stays out (agents commit locally; bosun pushes and merges).
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
    "GIT_AUTHOR_*",
    "GIT_COMMITTER_*",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_NOSYSTEM",
    "BOSUN_*",
    "VIRTUAL_ENV",
    "PYTHONPATH",
)

# A variable name, or a glob of one (fnmatch: * ? [...]).
_PATTERN = re.compile(r"[A-Za-z0-9_*?\[\]!]+")


def pattern_problem(pattern: object) -> str | None:
    """Why `pattern` is not a variable name or glob (None when it is one)."""
    if not isinstance(pattern, str):
        return f"{pattern!r} is not a string"
    if not _PATTERN.fullmatch(pattern):
        return (
            f"{pattern!r} is not a variable name or glob "
            "(letters, digits, _ and the wildcards * ? [ ])"
        )
    return None


def patterns_problem(patterns: Iterable[object]) -> str | None:
    """The first bad entry of a list of variable names and globs, explained (or None)."""
    for pattern in patterns:
        problem = pattern_problem(pattern)
        if problem:
            return problem
    return None


def allowed(name: str, allow: Iterable[str] = ()) -> bool:
    """Whether a session passes variable `name` on: BASE_ENV or a pattern of `allow`."""
    if name in NESTED_SESSION_VARS:
        return False
    return any(fnmatchcase(name, pattern) for pattern in (*BASE_ENV, *allow))


def session_environment(
    base: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
    allow: Iterable[str] = (),
) -> dict[str, str]:
    """`base` kept to BASE_ENV and the glob patterns in `allow` (a preset's `pass_env` plus
    the project's), without nested-session variables and `unset`; then `extra` on top."""
    drop = set(unset)
    patterns = tuple(allow)
    env = {k: v for k, v in base.items() if k not in drop and allowed(k, patterns)}
    env.update(extra or {})
    return env
