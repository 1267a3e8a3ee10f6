"""A foreground `bosun run` shows its stages as they go, on stderr: one line per finished
stage attempt, and on a terminal a spinner naming the stage that runs now (Rich). It reads
the run's own progress files, so it sees exactly what `bosun run status --follow` sees."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.status import Status

from bosun.cli.output import escape_controls

_MARK = {"success": "[green]✓[/]", "partial_success": "[yellow]✓[/]", "skipped": "[dim]-[/]"}


def stage_line(ev: dict[str, Any], started: dict[str, float]) -> str | None:
    """The line a progress event prints (markup), or None for events shown only as state."""
    kind, node = ev.get("event"), escape_controls(str(ev.get("node_id", "")))
    if kind == "stage_attempt_end":
        status = str(ev.get("status", ""))
        took = time.monotonic() - started.pop(node, time.monotonic())
        attempt = int(ev.get("attempt") or 1)
        again = f" (attempt {attempt})" if attempt > 1 else ""
        why = ev.get("failure_reason")
        tail = f": {escape_controls(str(why))}" if why and status not in _MARK else ""
        return f"{_MARK.get(status, '[red]✗[/]')} {node}{again} {status} in {took:.1f}s{tail}"
    if kind == "human_question":
        return f"[yellow]?[/] {node} asks: {escape_controls(str(ev.get('question', '')))}"
    if kind == "loop_restart":
        return f"[yellow]↻[/] restart from {escape_controls(str(ev.get('to', '')))}"
    return None


class ForegroundProgress:
    """Follow `<run dir>/progress.ndjson` (and its restart-N/ copies) from a thread."""

    def __init__(
        self,
        base: Path,
        console: Console | None = None,
        poll: float = 0.1,
        skip_history: bool = False,  # a resume: show only what this process adds
    ) -> None:
        self.base, self.poll = base, poll
        self.console = console or Console(stderr=True, highlight=False)
        self.offsets: dict[Path, int] = (
            {p: p.stat().st_size for p in self._files()} if skip_history else {}
        )
        self.started: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._follow, daemon=True, name="run-progress")
        self.status: Status | None = None

    def __enter__(self) -> ForegroundProgress:
        if self.console.is_terminal:
            self.status = self.console.status("starting the run")
            self.status.start()
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self._read()  # the last lines, written just before the run returned
        if self.status is not None:
            self.status.stop()

    def _follow(self) -> None:
        while not self.stop.wait(self.poll):
            self._read()

    def _read(self) -> None:
        for path in self._files():
            with open(path, encoding="utf-8") as fh:
                fh.seek(self.offsets.get(path, 0))
                chunk = fh.read()
                if not chunk.endswith("\n"):  # a line being written: read it next time
                    chunk = chunk[: chunk.rfind("\n") + 1]
                self.offsets[path] = self.offsets.get(path, 0) + len(chunk.encode("utf-8"))
            for line in chunk.splitlines():
                self._show(json.loads(line))

    def _files(self) -> list[Path]:
        found = {self.base / "progress.ndjson", *self.base.glob("restart-*/progress.ndjson")}
        return sorted(p for p in found if p.exists())

    def _show(self, ev: dict[str, Any]) -> None:
        if ev.get("event") == "stage_attempt_start":
            node = escape_controls(str(ev.get("node_id", "")))
            self.started[node] = time.monotonic()
            if self.status is not None:
                self.status.update(f"running [bold]{node}[/]")
            return
        line = stage_line(ev, self.started)
        if line is not None:
            self.console.print(line)
