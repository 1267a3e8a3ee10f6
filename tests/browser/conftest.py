"""Browser tests: a real `bosun dashboard` and Debian's chromium through Playwright."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from dashboard_harness import ARTIFACTS, DashboardServer, chromium_context  # noqa: E402


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    """One browser per test module: Playwright's sync API keeps an event loop running in
    this thread while it is open, so it must be closed before other modules' tests (which
    may call asyncio.run) run in the same worker."""
    try:
        with chromium_context() as context:
            yield context
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    page.problems = problems
    try:
        yield page
    finally:
        page.close()


@pytest.fixture
def agent_env(tmux_socket: str) -> dict[str, str]:
    return {"BOSUN_RUNTIME_TMUX_SOCKET": tmux_socket}


@pytest.fixture
def dashboard(project: Path, agent_env: dict[str, str]) -> Iterator[DashboardServer]:
    server = DashboardServer(project, agent_env)
    try:
        yield server
    finally:
        err = server.stop()
        assert "Traceback" not in err, err


@pytest.fixture
def pids() -> Iterator[list[int]]:
    """Process groups (detached pipeline runs) to kill at the end, even on failure."""
    found: list[int] = []
    yield found
    for pid in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
