"""The `sim` fixture: sim agents in tmux on the test's own socket, killed afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from simpane import SimPane, StartSim


@pytest.fixture
def sim(tmux_socket: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartSim]:
    """`sim(cwd, env, args)` starts a sim agent; the tmux server dies with the test."""
    started: list[SimPane] = []

    def start(
        cwd: Path, env: dict[str, str] | None = None, args: list[str] | None = None
    ) -> SimPane:
        files = tmp_path_factory.mktemp("sim-files")
        pane = SimPane(tmux_socket, cwd, files, env or {}, args or [])
        started.append(pane)
        return pane

    yield start
    for pane in started:  # the tmux_socket fixture then kills the server itself
        try:
            if pane.dead_status() is None:
                os.kill(pane.pid(), signal.SIGKILL)
        except (subprocess.CalledProcessError, ProcessLookupError, ValueError):
            pass
