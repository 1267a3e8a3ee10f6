from __future__ import annotations

from pathlib import Path

import pytest

from clirunner import Bosun


@pytest.fixture
def bosun(project: Path) -> Bosun:
    return Bosun(project)
