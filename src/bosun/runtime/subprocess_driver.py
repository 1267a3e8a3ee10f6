"""The subprocess driver: headless / print-mode CLIs and plain commands.

The program runs in its own process group with stdin on a pipe and stdout+stderr in a log
file (`capture` reads its tail). It lives as long as the bosun process that launched it
holds the handle's Popen; another process can still see whether the pid lives, but not its
exit status (`exit_status` capability: only from the launching process).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

from bosun.base.errors import Conflict, RuntimeFailure
from bosun.runtime.delivery import DeliveryConfig
from bosun.runtime.protocol import (
    Capabilities,
    Delivery,
    LaunchSpec,
    Liveness,
    LivenessState,
    SessionHandle,
    session_name,
)
from bosun.runtime.sanitize import prepare_payload
from bosun.runtime.screen import ScreenState, classify

_TAIL_BYTES = 256 * 1024


class SubprocessRuntime:
    driver = "subprocess"
    capabilities = Capabilities(
        interactive=False,
        multiline_prompts=False,
        verified_delivery=False,
        attach=False,
        exit_status=True,
        survives_bosun=False,
        reports_activity=True,
    )

    def __init__(self, log_dir: Path, delivery: DeliveryConfig | None = None) -> None:
        self.log_dir = log_dir
        self.delivery = delivery or DeliveryConfig()
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._logs: dict[int, IO[bytes]] = {}
        self._names: dict[int, str] = {}
        self._inputs: dict[int, float] = {}  # when bosun last wrote to each session's stdin

    def launch(self, spec: LaunchSpec) -> SessionHandle:
        if not spec.argv:
            raise RuntimeFailure("nothing to launch: the argv is empty", "check the preset")
        name = session_name(spec.role, spec.name)
        for pid, proc in self._procs.items():
            if proc.poll() is None and self._names.get(pid) == name:
                raise Conflict(f"session {name} is already running (pid {pid})", "stop it first")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}-{spec.incarnation}-{time.time_ns()}.log"
        log = open(log_path, "ab")  # noqa: SIM115 - closed when the session is reaped
        try:
            proc = subprocess.Popen(
                list(spec.argv),
                cwd=spec.cwd,
                env=dict(spec.env),
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            log.close()
            raise RuntimeFailure(
                f"cannot run {spec.argv[0]!r}: {exc.strerror or exc}",
                "check the preset's argv and PATH",
            ) from exc
        self._procs[proc.pid] = proc
        self._logs[proc.pid] = log
        self._names[proc.pid] = name
        return SessionHandle(
            driver=self.driver,
            session=name,
            role=spec.role,
            name=spec.name,
            target=str(proc.pid),
            pid=proc.pid,
            started_at=time.time(),
            preset=spec.preset,
            incarnation=spec.incarnation,
            patterns=spec.patterns,
            log=str(log_path),
        )

    def liveness(self, handle: SessionHandle) -> Liveness:
        pid = handle.pid or 0
        proc = self._procs.get(pid)
        if proc is None:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return Liveness(LivenessState.DEAD, reason="process gone")
            except PermissionError:
                return Liveness(LivenessState.INDETERMINATE, reason="pid owned by another user")
            return Liveness(LivenessState.ALIVE)
        code = proc.poll()
        if code is None:
            return Liveness(LivenessState.ALIVE)
        self._close(pid)
        if code < 0:
            return Liveness(LivenessState.DEAD, signal=-code, reason="killed by signal")
        return Liveness(LivenessState.DEAD, exit_code=code, reason="exited")

    def send(self, handle: SessionHandle, text: str, *, submit: bool = True) -> Delivery:
        payload = prepare_payload(text, self.delivery.max_bytes).rstrip("\n")
        proc = self._procs.get(handle.pid or 0)
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise RuntimeFailure(
                "the session is not running; nothing was sent", "restart it", code="session_dead"
            )
        self._wait_ready(handle)
        self._write(handle, payload + ("\n" if submit else ""))
        return Delivery("stdin", len(payload.encode("utf-8")), submit, False, 1 if submit else 0)

    def _write(self, handle: SessionHandle, text: str) -> None:
        proc = self._procs.get(handle.pid or 0)
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise RuntimeFailure(
                "the session is not running; nothing was sent", "restart it", code="session_dead"
            )
        try:
            proc.stdin.write(text.encode("utf-8"))
            proc.stdin.flush()
            self._inputs[proc.pid] = time.time()
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise RuntimeFailure(
                "the session closed its input; the text was not delivered",
                "check it with `bosun agent list`",
                code="session_gone",
            ) from exc

    def _wait_ready(self, handle: SessionHandle) -> None:
        if not handle.patterns.ready:
            return
        deadline = time.monotonic() + self.delivery.ready_timeout
        while classify(self.capture(handle, 20), handle.patterns) is not ScreenState.READY:
            if not self.liveness(handle).alive:
                raise RuntimeFailure(
                    "the session died while bosun waited for it; nothing was sent",
                    "restart it",
                    code="session_dead",
                )
            if time.monotonic() >= deadline:
                raise RuntimeFailure(
                    "the session is not ready; nothing was sent",
                    "look at its output",
                    code="not_ready",
                )
            time.sleep(0.05)

    def press(self, handle: SessionHandle, key: str) -> None:
        if key == "C-c":
            self._signal(handle, signal.SIGINT)
            return
        # A pipe has no keys: a key press is a line (Enter alone is an empty line).
        self._write(handle, ("" if key == "Enter" else key) + "\n")

    def capture(self, handle: SessionHandle, lines: int = 50) -> str:
        try:
            with open(handle.log, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - _TAIL_BYTES))
                data = fh.read()
        except OSError as exc:
            raise RuntimeFailure(
                f"cannot read the output of {handle.session}: {exc}",
                "the log file is gone",
                code="session_gone",
            ) from exc
        kept = data.decode("utf-8", "replace").rstrip("\n").splitlines()
        return "\n".join(kept[-lines:])

    def screen_state(self, handle: SessionHandle) -> ScreenState:
        live = self.liveness(handle)
        if live.dead:
            return ScreenState.DEAD
        return classify(self.capture(handle, 50), handle.patterns)

    def last_activity(self, handle: SessionHandle) -> float | None:
        """The later of the log file's last write (output) and bosun's last input."""
        try:
            output = os.stat(handle.log).st_mtime if handle.log else None
        except OSError:
            output = None
        stamps = [t for t in (output, self._inputs.get(handle.pid or 0)) if t is not None]
        return max(stamps) if stamps else None

    def stop(self, handle: SessionHandle, grace: float = 5.0) -> Liveness:
        for sig, wait in (
            (signal.SIGINT, grace / 2),
            (signal.SIGTERM, grace / 2),
            (signal.SIGKILL, max(grace, 2.0)),
        ):
            if not self.liveness(handle).alive:
                break
            self._signal(handle, sig)
            deadline = time.monotonic() + wait
            while self.liveness(handle).alive and time.monotonic() < deadline:
                time.sleep(0.02)
        return self.liveness(handle)

    def _signal(self, handle: SessionHandle, sig: signal.Signals) -> None:
        if handle.pid is None or handle.pid <= 1:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(handle.pid, sig)

    def _close(self, pid: int) -> None:
        proc = self._procs.get(pid)
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        log = self._logs.pop(pid, None)
        if log is not None:
            log.close()

    def close(self) -> None:
        """Kill what is still running and release every file (end of a test or a run)."""
        for pid, proc in list(self._procs.items()):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                proc.wait(timeout=10)
            self._close(pid)
