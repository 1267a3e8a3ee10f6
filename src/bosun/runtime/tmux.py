"""The tmux driver: one dedicated server per project, one session per identity.

- server: `tmux -L bosun-<short project hash> -f /dev/null` (socket injectable for tests);
- sessions: `bosun-<role>-<name>`, addressed by exact name (`=name`) and then pinned by
  `#{pane_id}`; `remain-on-exit on` keeps a dead pane so its exit status can be read;
- launch: argv only. tmux execs `python -m bosun.runtime.launch SPEC` directly (more than
  one word, so no shell), and the launcher execs the program with the spec's complete
  environment and cwd;
- a pane or server that vanishes is *dead*; a tmux that does not answer is *indeterminate*.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import sys
import time
import uuid
from pathlib import Path

from bosun.base.errors import Conflict, RuntimeFailure
from bosun.runtime.delivery import DeliveryConfig, PaneLock, default_lock_dir, deliver
from bosun.runtime.protocol import (
    Capabilities,
    Delivery,
    LaunchSpec,
    Liveness,
    LivenessState,
    Observation,
    SessionHandle,
    session_name,
)
from bosun.runtime.screen import ScreenState, classify
from bosun.runtime.tmux_cli import ServerGone, TargetGone, Tmux

_FIELDS = "#{session_name}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}"
_PANES = "#{pane_id}\t" + _FIELDS + "\t#{window_activity}\t#{pane_width}\t#{pane_height}"
_DEAD_BANNER = re.compile(r"^Pane is dead \((status|signal) ")  # remain-on-exit's last line
_STATUS_WAIT = 1.0  # tmux marks a pane dead a moment before it has reaped the process


class TmuxRuntime:
    driver = "tmux"
    capabilities = Capabilities(
        interactive=True,
        multiline_prompts=True,
        verified_delivery=True,
        attach=True,
        exit_status=True,
        survives_bosun=True,
        reports_activity=True,
        batch_observe=True,
    )

    def __init__(
        self,
        socket: str,
        *,
        delivery: DeliveryConfig | None = None,
        binary: str = "tmux",
        spec_dir: Path | None = None,
        lock_dir: Path | None = None,
        history_limit: int = 10000,
        timeout: float = 10.0,
    ) -> None:
        self.tmux = Tmux(socket, binary, timeout)
        self.socket = socket
        self.delivery = delivery or DeliveryConfig()
        self.spec_dir = spec_dir or default_lock_dir().parent / "launch"
        self.lock_dir = lock_dir or default_lock_dir()
        self.history_limit = history_limit

    # -- launch -----------------------------------------------------------------------

    def launch(self, spec: LaunchSpec) -> SessionHandle:
        if not spec.argv:
            raise RuntimeFailure("nothing to launch: the argv is empty", "check the preset")
        name = session_name(spec.role, spec.name)
        self._clear_dead(name)
        spec_file = self._write_spec(spec)
        command = [sys.executable, "-m", "bosun.runtime.launch", str(spec_file)]
        if any(word.endswith(";") for word in command):
            raise RuntimeFailure(f"cannot launch through {command!r}", "move the state dir")
        try:
            out = self.tmux.run(
                "start-server",
                ";",
                # the server outlives its last session, so restarting the only agent on it
                # (stop, then launch) never races a server that is shutting down
                "set-option",
                "-s",
                "exit-empty",
                "off",
                ";",
                "set-option",
                "-g",
                "remain-on-exit",
                "on",
                ";",
                "set-option",
                "-g",
                "history-limit",
                str(self.history_limit),
                ";",
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                str(spec.width),
                "-y",
                str(spec.height),
                "-c",
                str(spec.cwd),
                "-P",
                "-F",
                "#{pane_id}\t#{pane_pid}",
                "--",
                *command,
            )
        except BaseException:
            spec_file.unlink(missing_ok=True)
            raise
        pane, pid = out.strip().splitlines()[-1].split("\t")
        return SessionHandle(
            driver=self.driver,
            session=name,
            role=spec.role,
            name=spec.name,
            target=pane,
            pid=int(pid),
            started_at=time.time(),
            socket=self.socket,
            preset=spec.preset,
            incarnation=spec.incarnation,
            patterns=spec.patterns,
        )

    def _clear_dead(self, name: str) -> None:
        """Refuse a name that is running; remove the remains of a dead one."""
        try:
            # `=name:` (with the colon): list-panes resolves a bare `=name` by prefix.
            out = self.tmux.run("list-panes", "-s", "-t", f"={name}:", "-F", "#{pane_dead}")
        except (ServerGone, TargetGone):
            return
        if "0" in out.split():
            raise Conflict(
                f"session {name} is already running on tmux server {self.socket}",
                f"stop it first, or attach: tmux -L {self.socket} attach -t ={name}",
            )
        self.tmux.run("kill-session", "-t", f"={name}")

    def _write_spec(self, spec: LaunchSpec) -> Path:
        self.spec_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.spec_dir / f"{secrets.token_hex(8)}.json"
        data = {"argv": list(spec.argv), "cwd": str(spec.cwd), "env": dict(spec.env)}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        return path

    # -- observe ----------------------------------------------------------------------

    def liveness(self, handle: SessionHandle) -> Liveness:
        deadline = time.monotonic() + _STATUS_WAIT
        while True:
            try:
                fields = self.tmux.display(handle.target, _FIELDS).split("\t")
            except ServerGone:
                return Liveness(LivenessState.DEAD, reason="tmux server gone")
            except TargetGone:
                return Liveness(LivenessState.DEAD, reason="pane gone")
            except RuntimeFailure as exc:
                return Liveness(LivenessState.INDETERMINATE, reason=exc.message)
            session, pid, dead, status, sig = (fields + [""] * 5)[:5]
            if session != handle.session or (handle.pid is not None and pid != str(handle.pid)):
                return Liveness(LivenessState.DEAD, reason="pane replaced by another session")
            if dead != "1":
                return Liveness(LivenessState.ALIVE)
            if not (status or sig) and time.monotonic() < deadline:
                self._reap()
                time.sleep(0.02)
                continue
            return Liveness(
                LivenessState.DEAD,
                exit_code=int(status) if status else None,
                signal=int(sig) if sig else None,
                reason="killed by signal" if sig else "exited",
            )

    def observe_all(self, handles: list[SessionHandle]) -> dict[SessionHandle, Observation]:
        """Every pane of the server in one `list-panes -a`: liveness, exit status, activity
        and size per handle. A dead pane whose status tmux has not read yet is asked again
        the slow way (`liveness`), which waits for it."""
        try:
            out = self.tmux.run("list-panes", "-a", "-F", _PANES)
        except ServerGone:
            gone = Liveness(LivenessState.DEAD, reason="tmux server gone")
            return {handle: Observation(gone) for handle in handles}
        except RuntimeFailure as exc:
            unsure = Liveness(LivenessState.INDETERMINATE, reason=exc.message)
            return {handle: Observation(unsure) for handle in handles}
        panes = {}
        for line in out.splitlines():
            fields = (line.split("\t") + [""] * 9)[:9]
            panes[fields[0]] = fields[1:]
        seen = {}
        for handle in handles:
            row = panes.get(handle.target)
            if row is None:
                seen[handle] = Observation(Liveness(LivenessState.DEAD, reason="pane gone"))
                continue
            session, pid, dead, status, sig, activity, width, height = row
            if session != handle.session or (handle.pid is not None and pid != str(handle.pid)):
                live = Liveness(LivenessState.DEAD, reason="pane replaced by another session")
            elif dead != "1":
                live = Liveness(LivenessState.ALIVE)
            elif status or sig:
                live = Liveness(
                    LivenessState.DEAD,
                    exit_code=int(status) if status else None,
                    signal=int(sig) if sig else None,
                    reason="killed by signal" if sig else "exited",
                )
            else:
                live = self.liveness(handle)
            seen[handle] = Observation(
                live, _number(activity), _whole(width) or None, _whole(height) or None
            )
        return seen

    def _reap(self) -> None:
        """Make the server reap children. tmux 3.3 sometimes misses a pane's SIGCHLD and
        leaves it a zombie with no exit status; a finished `run-shell` job delivers another
        SIGCHLD and its waitpid loop collects every exited child."""
        with contextlib.suppress(RuntimeFailure):
            self.tmux.run("run-shell", "true")

    def capture(self, handle: SessionHandle, lines: int = 50) -> str:
        try:
            out = self.tmux.run(
                "capture-pane", "-p", "-J", "-t", handle.target, "-S", f"-{max(lines, 1)}"
            )
        except (ServerGone, TargetGone) as exc:
            raise RuntimeFailure(
                f"session {handle.session} is gone: {exc.message}",
                "it can no longer be captured",
                code="session_gone",
            ) from exc
        kept = [line for line in out.rstrip("\n").splitlines() if not _DEAD_BANNER.match(line)]
        while kept and not kept[-1].strip():
            kept.pop()
        return "\n".join(kept[-lines:])

    def screen(self, handle: SessionHandle) -> str:
        """The visible screen only (no scrollback)."""
        return self.tmux.run("capture-pane", "-p", "-t", handle.target)

    def screen_state(self, handle: SessionHandle) -> ScreenState:
        live = self.liveness(handle)
        if live.dead:
            return ScreenState.DEAD
        if not live.alive:
            return ScreenState.UNKNOWN
        try:
            return classify(self.screen(handle), handle.patterns)
        except (ServerGone, TargetGone):
            return ScreenState.DEAD

    def last_activity(self, handle: SessionHandle) -> float | None:
        """tmux's `#{window_activity}`: when the pane last drew anything."""
        try:
            stamp = self.tmux.display(handle.target, "#{window_activity}").strip()
            return float(stamp) if stamp else None
        except (RuntimeFailure, ValueError):
            return None

    # -- act --------------------------------------------------------------------------

    def send(self, handle: SessionHandle, text: str, *, submit: bool = True) -> Delivery:
        key = f"{self.socket}-{handle.target}"
        with PaneLock(self.lock_dir, key, self.delivery.lock_timeout):
            try:
                return deliver(
                    _TmuxPane(self, handle),
                    text,
                    submit=submit,
                    patterns=handle.patterns,
                    config=self.delivery,
                )
            except (ServerGone, TargetGone) as exc:
                raise RuntimeFailure(
                    f"session {handle.session} disappeared while bosun was sending; "
                    "the text was not delivered",
                    "check it with `bosun agent list` and restart it",
                    code="session_gone",
                ) from exc

    def press(self, handle: SessionHandle, key: str) -> None:
        try:
            self.tmux.run("send-keys", "-t", handle.target, key)
        except (ServerGone, TargetGone) as exc:
            raise RuntimeFailure(
                f"session {handle.session} is gone", "relaunch it", code="session_gone"
            ) from exc

    def stop(self, handle: SessionHandle, grace: float = 5.0) -> Liveness:
        live = self.liveness(handle)
        if live.alive:
            steps: list[tuple[str, float]] = [
                ("interrupt", grace / 2),
                ("term", grace / 2),
                ("kill", max(grace, 2.0)),
            ]
            for step, wait in steps:
                self._signal(handle, step)
                live = self._wait_dead(handle, wait)
                if not live.alive:
                    break
        with contextlib.suppress(ServerGone, TargetGone):
            self.tmux.run("kill-session", "-t", f"={handle.session}")
        return live

    def _signal(self, handle: SessionHandle, step: str) -> None:
        if step == "interrupt":
            with contextlib.suppress(ServerGone, TargetGone):
                self.tmux.run("send-keys", "-t", handle.target, "C-c")
            return
        if handle.pid is None or handle.pid <= 1:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(handle.pid, signal.SIGTERM if step == "term" else signal.SIGKILL)

    def _wait_dead(self, handle: SessionHandle, timeout: float) -> Liveness:
        deadline = time.monotonic() + timeout
        while True:
            live = self.liveness(handle)
            if not live.alive or time.monotonic() >= deadline:
                return live
            time.sleep(0.05)

    def list_sessions(self) -> list[dict[str, str]]:
        """Every bosun session on this server (for reconciling at startup)."""
        try:
            out = self.tmux.run("list-panes", "-a", "-F", "#{pane_id}\t" + _FIELDS)
        except ServerGone:
            return []
        rows = []
        for line in out.splitlines():
            pane, session, pid, dead, status, sig = (line.split("\t") + [""] * 6)[:6]
            if session.startswith("bosun-"):
                rows.append(
                    {
                        "pane": pane,
                        "session": session,
                        "pid": pid,
                        "dead": dead,
                        "exit_code": status,
                        "signal": sig,
                    }
                )
        return rows

    def kill_server(self) -> None:
        self.tmux.kill_server()


def _number(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _whole(text: str) -> int:
    return int(text) if text.isdigit() else 0


class _TmuxPane:
    """One pinned pane, as the delivery protocol sees it."""

    def __init__(self, runtime: TmuxRuntime, handle: SessionHandle) -> None:
        self.runtime = runtime
        self.tmux = runtime.tmux
        self.handle = handle
        self.target = handle.target

    def type_literal(self, text: str) -> None:
        # tmux's client ends a command at an argument ending in ';' (and eats the ';');
        # a backslash before it makes tmux keep a literal ';'.
        word = text[:-1] + "\\;" if text.endswith(";") else text
        self.tmux.run("send-keys", "-t", self.target, "-l", "--", word)

    def paste(self, text: str) -> None:
        buffer = f"bosun-{uuid.uuid4().hex}"
        self.tmux.run("load-buffer", "-b", buffer, "-", stdin=text.encode("utf-8"))
        try:
            self.tmux.run("paste-buffer", "-p", "-r", "-d", "-b", buffer, "-t", self.target)
        except BaseException:
            with contextlib.suppress(RuntimeFailure):
                self.tmux.run("delete-buffer", "-b", buffer)
            raise

    def press_enter(self) -> None:
        self.tmux.run("send-keys", "-t", self.target, "Enter")

    def screen(self) -> str:
        return self.runtime.screen(self.handle)

    def alive(self) -> bool:
        return self.runtime.liveness(self.handle).alive
