"""The `rig` fixture (see suprig.py): torn down even when the test fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from suprig import Rig, open_rig


@pytest.fixture
def rig(project: Path, tmux_socket: str) -> Iterator[Rig]:
    with open_rig(project, tmux_socket) as rig:
        yield rig
