"""The `rig` fixture (see suprig.py): torn down even when the test fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from suprig import FAST, Rig


@pytest.fixture
def rig(project: Path, tmux_socket: str) -> Iterator[Rig]:
    env = {
        **os.environ,
        **FAST,
        "BOSUN_HOME": str(project),
        "BOSUN_RUNTIME_TMUX_SOCKET": tmux_socket,
    }
    env.pop("BOSUN_IDENTITY", None)
    (project / ".bosun" / "logs").mkdir(parents=True, exist_ok=True)
    rig = Rig(project, tmux_socket, env)
    try:
        yield rig
    finally:
        rig.close()
