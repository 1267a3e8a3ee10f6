"""`bosun tui` shows a detached pipeline run waiting at its human gate and answers it with
`bosun run answer`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable

from bosun.core.context import open_project
from bosun.tui.app import FleetApp
from bosun.tui.screens import Prompt

GRAPH = """digraph G {
  start [shape=Mdiamond]; exit [shape=Msquare]
  ask [shape=hexagon, label="Ship it?"]
  yes [shape=parallelogram, tool_command="true"]
  no [shape=parallelogram, tool_command="true"]
  start -> ask; ask -> yes [label="Yes"]; ask -> no [label="No"]
  yes -> exit [condition="outcome=success"]; no -> exit [condition="outcome=success"]
}
"""


@pytest.fixture
def gated_run(project: Path, tmp_path: Path) -> Iterator[Path]:
    """A detached run `g1` of GRAPH; its process group is killed at the end."""
    graph = tmp_path / "gate.dot"
    graph.write_text(GRAPH)
    out = subprocess.run(
        [sys.executable, "-m", "bosun", "run", str(graph), "--detach", "--run-id", "g1", "--json"],
        cwd=project, capture_output=True, text=True, timeout=120, check=True,
    )
    launched = json.loads(out.stdout)
    try:
        yield Path(launched["logs_root"])
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(int(launched["pid"]), signal.SIGKILL)


def test_a_run_at_its_human_gate_is_shown_and_answered(project: Path, gated_run: Path) -> None:
    ctx = open_project(project)

    async def main() -> None:
        app = FleetApp(ctx, refresh=0.5)
        async with app.run_test(size=(200, 50)) as pilot:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while not app.snapshot.gates:
                assert loop.time() < deadline, f"no gate shown: {app.snapshot.runs}"
                await pilot.pause(0.1)
            [run] = app.snapshot.gates
            assert run.run_id == "g1" and run.status == "running"
            assert run.gate is not None and run.gate.node == "ask"
            assert run.gate.question == "Ship it?" and run.gate.choices == ("Yes", "No")
            runs = app.query_one("#runs", DataTable)
            assert "ask: Yes/No" in [str(c) for c in runs.get_row_at(0)]
            await pilot.press("g")
            assert isinstance(app.screen, Prompt)
            await pilot.press(*"No", "enter")
            final = gated_run / "final.json"
            while not final.exists():
                assert loop.time() < deadline + 60, f"the run did not finish: {app.outcomes}"
                await pilot.pause(0.1)
            assert any("answer gate ask of g1: done" in o for o in app.outcomes)

    try:
        asyncio.run(main())
    finally:
        ctx.close()
    assert json.loads((gated_run / "final.json").read_text())["status"] == "success"
    checkpoint = json.loads((gated_run / "checkpoint.json").read_text())
    assert checkpoint["completed_nodes"] == ["start", "ask", "no", "exit"]
