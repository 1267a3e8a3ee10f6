"""Running the configured gates on a candidate: each command in its own process group,
killed (the whole group) when it runs past its timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

TAIL_LINES = 40
TAIL_BYTES = 4000
KILL_GRACE_S = 2.0
POLL_S = 0.05


class GroupRecorder(Protocol):
    """Where a gate's process group is written down while it runs (the store)."""

    def started(self, pgid: int, command: str) -> None: ...

    def ended(self, pgid: int) -> None: ...


class LeaseLost(Exception):
    """The processor lost its lease while a gate ran; the gate was killed."""


@dataclass(frozen=True)
class GateResult:
    green: bool
    command: str | None = None  # the gate that failed
    exit_code: int | None = None
    timed_out: bool = False
    not_found: bool = False
    tail: str = ""
    seconds: float = 0.0
    attempts: int = 1
    flaky: tuple[str, ...] = field(default_factory=tuple)  # gates that passed on a retry

    @property
    def reason(self) -> str:
        if self.green:
            return "gates passed"
        if self.not_found:
            return f"gate command not found: {self.command!r} (exit {self.exit_code})"
        if self.timed_out:
            return f"gate {self.command!r} timed out after {self.seconds:.0f}s and was killed"
        return f"gate {self.command!r} failed with exit status {self.exit_code}"

    def to_json(self) -> dict[str, Any]:
        return {
            "green": self.green,
            "command": self.command,
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "not_found": self.not_found,
            "seconds": round(self.seconds, 3),
            "attempts": self.attempts,
            "flaky": list(self.flaky),
            "tail": self.tail,
        }


def run_gates(
    commands: Sequence[str],
    cwd: Path,
    *,
    timeout: float,
    log: Path,
    env: Mapping[str, str] | None = None,
    flake_retries: int = 0,
    tick: Callable[[], bool] | None = None,
    groups: GroupRecorder | None = None,
) -> GateResult:
    """Run every gate in order; stop at the first that stays red after `flake_retries`.
    `groups` records each gate's process group before it runs and once it is reaped, so a
    processor that outlives a dead one can end its orphaned gates."""
    start = time.monotonic()
    attempts = 0
    flaky: list[str] = []
    log.parent.mkdir(parents=True, exist_ok=True)
    for index, command in enumerate(commands):
        for attempt in range(flake_retries + 1):
            attempts += 1
            result = _run_one(
                command,
                cwd,
                timeout,
                log.with_suffix(f".{index}.{attempt}.log"),
                env,
                tick,
                groups,
            )
            if result.green:
                if attempt:
                    flaky.append(command)
                break
            if result.not_found:
                break  # a missing command does not become present on a retry
        if not result.green:
            return GateResult(
                False,
                command,
                result.exit_code,
                result.timed_out,
                result.not_found,
                result.tail,
                time.monotonic() - start,
                attempts,
                tuple(flaky),
            )
    return GateResult(True, seconds=time.monotonic() - start, attempts=attempts, flaky=tuple(flaky))


def _run_one(
    command: str,
    cwd: Path,
    timeout: float,
    log: Path,
    env: Mapping[str, str] | None,
    tick: Callable[[], bool] | None,
    groups: GroupRecorder | None = None,
) -> GateResult:
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        timed_out = False
        next_tick = started + 1.0
        try:
            if groups is not None:
                groups.started(proc.pid, command)
            while True:
                try:
                    proc.wait(timeout=POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    pass
                now = time.monotonic()
                if now - started > timeout:
                    timed_out = True
                    break
                if tick is not None and now >= next_tick:
                    next_tick = now + 1.0
                    if not tick():
                        raise LeaseLost(command)
        finally:
            _kill_group(proc)
            if groups is not None:
                groups.ended(proc.pid)
    code = proc.returncode
    tail = _tail(log)
    not_found = code == 127 and "not found" in tail
    seconds = time.monotonic() - started
    return GateResult(
        code == 0 and not timed_out, command, code, timed_out, not_found, tail, seconds
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """End the gate's whole process group: TERM, a grace period, then KILL. Also reaps
    anything a finished gate left running in the background."""
    for sig, grace in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, KILL_GRACE_S)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM and proc.returncode is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # members may outlive the leader
            break
    if proc.returncode is None:
        proc.wait()


def _tail(log: Path) -> str:
    try:
        with log.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - TAIL_BYTES))
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-TAIL_LINES:])
