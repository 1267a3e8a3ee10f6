"""`bosun tui` in a real terminal (a tmux pane on its own socket): attach to an agent's
pane with `a`, detach with C-b d, and come back to the fleet view."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bosun.runtime.tmux_cli import remove_server
from clirunner import Bosun
from waiting import wait_for


@pytest.fixture
def terminal() -> Iterator[str]:
    """The socket of a tmux server that plays the operator's terminal."""
    name = f"bosun-test-term-{secrets.token_hex(4)}"
    try:
        yield name
    finally:
        remove_server(name)


def screen(socket: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, "capture-pane", "-p", "-t", "tui"],
        capture_output=True, text=True, check=False,
    ).stdout


def keys(socket: str, *words: str) -> None:
    subprocess.run(["tmux", "-L", socket, "send-keys", "-t", "tui", *words], check=True)


def test_attach_and_come_back(
    bosun: Bosun, project: Path, tmux_socket: str, terminal: str
) -> None:
    env = {"BOSUN_RUNTIME_TMUX_SOCKET": tmux_socket}
    bosun.ok("agent", "spawn", "toast", "--runtime", "sim", "--worktree", "none", env=env)
    subprocess.run(
        ["tmux", "-L", terminal, "new-session", "-d", "-s", "tui", "-x", "200", "-y", "50",
         "-c", str(project), "-e", f"BOSUN_RUNTIME_TMUX_SOCKET={tmux_socket}",
         "-e", "TMUX=/tmp/outer,1,0",  # as if the operator's own shell runs inside tmux
         sys.executable, "-m", "bosun", "tui", "--refresh", "0.5"],
        check=True,
    )
    wait_for(lambda: "agents 1/1" in screen(terminal), timeout=60, what="the fleet view")
    keys(terminal, "a")
    wait_for(
        lambda: "agents 1/1" not in screen(terminal) and "sim>" in screen(terminal),
        timeout=60, what="the agent's own pane",
    )
    keys(terminal, "C-b", "d")
    wait_for(lambda: "back from polecat/toast" in screen(terminal), timeout=60,
             what="the fleet view again")
    keys(terminal, "q")
    wait_for(lambda: "agents 1/1" not in screen(terminal), timeout=30, what="the tui to quit")
    assert bosun.ok("agent", "list", env=env)[0]["state"] in ("ready", "busy")
    bosun.ok("agent", "stop", "toast", env=env)
