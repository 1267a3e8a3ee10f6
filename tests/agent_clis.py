"""The pinned real agent CLIs (scripts/install-agent-clis.sh): found as bosun finds them,
and their versions."""

from __future__ import annotations

import subprocess

from bosun.runtime.modelserver.clients import find_cli

__all__ = ["cli_version", "find_cli"]


def cli_version(binary: str | None) -> str:
    if binary is None:
        return "missing"
    try:
        done = subprocess.run(
            [binary, "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unrunnable"
    return next((w for w in done.stdout.split() if w[:1].isdigit()), "unknown")
