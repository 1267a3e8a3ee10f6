"""A state directory for each simulation, on tmpfs when there is one (the hook mirrors are
written with fsync), removed afterwards."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def sim_root() -> Iterator[Path]:
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    root = Path(tempfile.mkdtemp(prefix="bosun-sim-", dir=base))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
