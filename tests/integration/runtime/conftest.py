"""Drivers under test and the small agent program they run (agent_app.py).

Every tmux test runs on its own `-L` socket (the `tmux_socket` fixture kills the server);
every subprocess session is killed and its files closed in the finalizer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_kit import AGENT_APP, APP_PATTERNS, TEST_DELIVERY, Kit, make_kit  # noqa: F401


@pytest.fixture(params=["tmux", "subprocess", "fake"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kit]:
    socket = request.getfixturevalue("tmux_socket") if request.param == "tmux" else None
    made, runtime = make_kit(request.param, tmp_path, socket)
    try:
        yield made
    finally:
        if request.param == "subprocess":
            runtime.close()
        elif request.param == "tmux":
            runtime.kill_server()


@pytest.fixture
def tmux_kit(tmp_path: Path, tmux_socket: str) -> Iterator[Kit]:
    made, runtime = make_kit("tmux", tmp_path, tmux_socket)
    try:
        yield made
    finally:
        runtime.kill_server()
