"""Helpers for running pipelines in tests: in-process engine, real tool processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bosun.base.clock import Clock, FakeClock
from bosun.pipeline.launch import RunOptions, start_run
from bosun.pipeline.rundir import FinalRecord


class FakeSleep:
    """Records each requested sleep and advances the fake clock instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)


def options(tmp_path: Path, clock: Clock | None = None, **kw: Any) -> RunOptions:
    workspace = kw.pop("workspace", tmp_path / "ws")
    workspace.mkdir(parents=True, exist_ok=True)
    opts = RunOptions(workspace=workspace, runs_dir=tmp_path / "runs", use_git=False, **kw)
    if clock is not None:
        opts.clock = clock
    return opts


def run(tmp_path: Path, text: str, run_id: str = "r1", **kw: Any) -> tuple[FinalRecord, Path]:
    graph = tmp_path / f"{run_id}.dot"
    graph.write_text(text)
    opts = kw.pop("opts", None) or options(tmp_path, **kw)
    record = start_run(graph, opts, run_id)
    return record, opts.runs_dir / run_id


def final(base: Path) -> dict[str, Any]:
    return json.loads((base / "final.json").read_text())


def events(path: Path) -> list[dict[str, Any]]:
    file = path / "progress.ndjson" if path.is_dir() else path
    return [json.loads(line) for line in file.read_text().splitlines()]


def names(path: Path) -> list[str]:
    return [e["event"] for e in events(path)]


def tool(node: str, command: str, extra: str = "") -> str:
    cmd = command.replace("\\", "\\\\").replace('"', '\\"')
    return f'{node} [shape=parallelogram, tool_command="{cmd}"{", " + extra if extra else ""}]'


def graph(*lines: str, attrs: str = "") -> str:
    body = "\n  ".join(lines)
    return (
        f"digraph G {{\n  {attrs}\n  start [shape=Mdiamond]\n  exit [shape=Msquare]\n  {body}\n}}\n"
    )


TRANSIENT = (
    """echo '{"status": "fail", "failure_reason": "connection reset by peer", """
    """"failure_class": "transient_infra"}' > "$BOSUN_STAGE_STATUS_PATH" """
)
