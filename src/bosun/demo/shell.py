"""How the demo acts: through the real `bosun` CLI, as a person at a terminal would.

Every action is a `bosun … --json` subprocess in the sample repository (the demo only
*reads* the store directly, for its live view and its report). Background processes the
demo starts (the dashboard) are tracked here so teardown can stop them by pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bosun.base.errors import OperationFailed

CALL_TIMEOUT = 180.0


class DemoStepFailed(OperationFailed):
    code = "demo_step_failed"


@dataclass
class Call:
    argv: tuple[str, ...]
    code: int
    data: Any
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.code == 0

    def error(self) -> str:
        if isinstance(self.data, dict) and isinstance(self.data.get("error"), dict):
            return str(self.data["error"].get("message", ""))
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"exit {self.code}"


@dataclass
class Bosun:
    repo: Path
    log: Callable[[str], None] = lambda line: None
    calls: list[Call] = field(default_factory=list)
    background: list[subprocess.Popen[bytes]] = field(default_factory=list)
    closing: threading.Event = field(default_factory=threading.Event)
    running: set[subprocess.Popen[str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fork(self) -> Bosun:
        """Another caller on the same project, which `abort` can stop on its own."""
        return Bosun(self.repo, self.log)

    def abort(self, grace: float = 5.0) -> None:
        """Refuse new calls and stop the ones running (their process groups)."""
        self.closing.set()
        with self.lock:
            running = list(self.running)
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        for var in ("BOSUN_IDENTITY", "BOSUN_DATABASE_URL", "TMUX", "CLAUDECODE"):
            env.pop(var, None)
        env["BOSUN_HOME"] = str(self.repo)
        return env

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "bosun", *args]

    def call(self, *args: str, timeout: float = CALL_TIMEOUT, stdin: str | None = None) -> Call:
        started = time.monotonic()
        if self.closing.is_set():
            return Call(tuple(args), 130, None, "the demo is stopping", 0.0)
        proc = subprocess.Popen(
            self.argv(*args, "--json"),
            cwd=self.repo,
            env=self.env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a Ctrl-C reaches the demo, which stops it in order
        )
        with self.lock:
            self.running.add(proc)
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            code, out, err = 124, "", f"bosun {' '.join(args[:2])} ran longer than {timeout:g}s"
        finally:
            with self.lock:
                self.running.discard(proc)
        try:
            data = json.loads(out) if out.strip() else None
        except json.JSONDecodeError:
            data = None
        call = Call(tuple(args), code, data, err, time.monotonic() - started)
        self.calls.append(call)
        self.log(f"$ bosun {' '.join(_shown(a) for a in args)}  → exit {code}")
        return call

    def ok(self, *args: str, timeout: float = CALL_TIMEOUT) -> Any:
        """Run `bosun ARGS --json`; raise `DemoStepFailed` naming the command when it fails."""
        call = self.call(*args, timeout=timeout)
        if not call.ok:
            raise DemoStepFailed(
                f"`bosun {' '.join(_shown(a) for a in args[:4])}` failed: {call.error()}",
                f"the sample project is in {self.repo}",
            )
        return call.data

    def start(self, *args: str, log_name: str) -> subprocess.Popen[bytes]:
        """Start `bosun ARGS` in the background (its own session); output to a log file."""
        logs = self.repo / ".bosun" / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / log_name, "ab") as out:
            proc = subprocess.Popen(
                self.argv(*args),
                cwd=self.repo,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.background.append(proc)
        return proc

    def stop_background(self, grace: float = 10.0) -> None:
        """SIGTERM what `start` started (by pid), then SIGKILL what is still running."""
        for proc in self.background:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.background:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.background.clear()


def _shown(arg: str) -> str:
    if len(arg) > 60:
        arg = arg[:57] + "…"
    arg = arg.replace("\n", " ")
    return arg if arg and all(c.isalnum() or c in "-_/.=:," for c in arg) else json.dumps(arg)
