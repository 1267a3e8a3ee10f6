"""`bosun events --follow` streams: each event is printed as it is committed."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirunner import Bosun


class Follower:
    """`bosun events --follow …` running in the background; its lines arrive on a queue."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.procs: list[subprocess.Popen[str]] = []
        self.lines: queue.Queue[str] = queue.Queue()

    def start(self, *args: str) -> None:
        proc = subprocess.Popen([sys.executable, "-m", "bosun", "events", "--follow", *args],
                                cwd=self.project, stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.procs.append(proc)
        stdout = proc.stdout
        assert stdout is not None
        threading.Thread(target=lambda: [self.lines.put(line) for line in stdout],
                         daemon=True).start()

    def next_line(self, timeout: float = 20.0) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line from `bosun events --follow` in {timeout}s") from None

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()


@pytest.fixture
def follower(project: Path) -> Iterator[Follower]:
    running = Follower(project)
    try:
        yield running
    finally:
        running.stop()


def test_follow_prints_new_events_as_json_lines(bosun: Bosun, follower: Follower) -> None:
    bosun.ok("identity", "create", "polecat", "before")
    follower.start("--json", "--limit", "1")
    assert json.loads(follower.next_line())["subject"] == "polecat/before"
    bosun.ok("identity", "create", "polecat", "after")
    event = json.loads(follower.next_line())
    assert (event["kind"], event["subject"]) == ("identity.created", "polecat/after")


def test_follow_prints_text_lines_while_running(bosun: Bosun, follower: Follower) -> None:
    follower.start("--kind", "work.")
    bosun.ok("work", "create", "Add login")
    assert "work.created" in follower.next_line()
