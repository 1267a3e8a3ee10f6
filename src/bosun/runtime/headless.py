"""Running an agent CLI headless (print mode): one process group, its event stream read
line by line, the whole group killed when the run ends.

`run_headless` starts the argv in its own session (a new process group) with stdin closed,
copies stdout to `events_path` as it comes (the raw event stream) and stderr to
`stderr_path`, feeds every stdout line to a `StreamSummary`, and waits until the process
exits, the timeout passes or `should_stop()` says so. Whatever ends it, the process group
gets SIGTERM, then SIGKILL after `grace` seconds, so no tool the agent started outlives
the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bosun.base.errors import RuntimeFailure
from bosun.runtime.headless_events import StreamSummary

POLL = 0.05


@dataclass(frozen=True)
class HeadlessResult:
    pid: int
    exit_code: int | None  # None: it was killed before it exited by itself
    summary: StreamSummary
    stderr_tail: str
    seconds: float
    timed_out: bool = False
    stopped: str = ""  # why should_stop ended it ("" when it did not)

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "timed_out": self.timed_out,
            "stopped": self.stopped,
            "stderr_tail": self.stderr_tail,
            **self.summary.to_json(),
        }


def kill_group(pid: int, grace: float) -> None:
    """SIGTERM the process group `pid`, then SIGKILL it once `grace` seconds pass."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            os.killpg(pid, 0)  # raises ProcessLookupError once the group is gone
            time.sleep(POLL)
        os.killpg(pid, signal.SIGKILL)


def _tail(path: Path, size: int = 2000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - size))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def run_headless(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    events_format: str,
    events_path: Path,
    stderr_path: Path,
    timeout: float,
    should_stop: Callable[[], str] = lambda: "",
    on_session: Callable[[str], None] | None = None,
    grace: float = 3.0,
) -> HeadlessResult:
    """Run `argv` to its end (see the module doc); `should_stop()` returns a reason to stop
    early, or "". `on_session(id)` is called once, as soon as the stream names its session."""
    summary = StreamSummary(events_format)
    started = time.monotonic()
    with open(events_path, "ab") as events, open(stderr_path, "ab") as errors:
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise RuntimeFailure(
                f"cannot start {argv[0]}: {exc.strerror or exc}",
                "check the preset's headless_argv and that the program is installed",
                code="launch_failed",
            ) from exc
        reader = threading.Thread(
            target=_read_stream,
            args=(proc, events, summary, on_session),
            name=f"headless-{proc.pid}",
            daemon=True,
        )
        reader.start()
        timed_out, stopped = False, ""
        try:
            while proc.poll() is None:
                if time.monotonic() - started > timeout:
                    timed_out = True
                    break
                stopped = should_stop()
                if stopped:
                    break
                time.sleep(POLL)
        finally:
            exit_code = proc.poll()
            kill_group(proc.pid, 0.0 if exit_code is not None else grace)
            proc.wait()
            reader.join(timeout=5.0)
            if proc.stdout is not None:
                proc.stdout.close()
    return HeadlessResult(
        pid=proc.pid,
        exit_code=exit_code,
        summary=summary,
        stderr_tail=_tail(stderr_path),
        seconds=time.monotonic() - started,
        timed_out=timed_out,
        stopped=stopped,
    )


def _read_stream(
    proc: subprocess.Popen[bytes],
    events: Any,
    summary: StreamSummary,
    on_session: Callable[[str], None] | None,
) -> None:
    assert proc.stdout is not None
    announced = False
    for raw in proc.stdout:
        events.write(raw)
        events.flush()
        summary.feed(raw.decode("utf-8", "replace"))
        if on_session is not None and summary.session_id and not announced:
            announced = True
            on_session(summary.session_id)
