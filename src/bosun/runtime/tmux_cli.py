"""A thin, dumb wrapper around the `tmux` client for one dedicated server (`tmux -L NAME`).

Argv only, never a shell. Every call has a timeout, so a wedged server is an error and not
a hang. tmux's messages are translated into `RuntimeFailure` codes at this boundary:
`tmux_missing`, `tmux_server_gone`, `tmux_target_gone`, `tmux_timeout`, `tmux_failed`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from bosun.base.errors import RuntimeFailure
from bosun.runtime.env import session_environment

INSTALL_HINT = (
    "install tmux: `sudo apt-get install -y tmux` (Debian/Ubuntu), `sudo dnf install tmux` "
    "(Fedora) or `brew install tmux` (macOS)"
)
_SERVER_GONE = ("no server running", "error connecting to", "server exited unexpectedly")
_TARGET_GONE = ("can't find pane", "can't find session", "can't find window", "no current target")


def socket_for_project(root: Path) -> str:
    """The project's dedicated server: `bosun-<8 hex digits of the root path's hash>`."""
    digest = hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()
    return f"bosun-{digest[:8]}"


class ServerGone(RuntimeFailure):
    code = "tmux_server_gone"


class TargetGone(RuntimeFailure):
    code = "tmux_target_gone"


def client_environment() -> dict[str, str]:
    """The tmux client's environment, and so a new server's global environment: only the
    session basics (BASE_ENV) and TMUX_TMPDIR. An agent can read the server's environment
    (`tmux show-environment -g`), so the operator's secrets must not reach it either."""
    return session_environment(os.environ, allow=("TMUX_TMPDIR",))


class Tmux:
    """Runs `tmux -L socket -f /dev/null …`; `-f /dev/null` keeps a user's ~/.tmux.conf
    (default-command, base-index, hooks) out of bosun's server."""

    def __init__(self, socket: str, binary: str = "tmux", timeout: float = 10.0) -> None:
        if not socket or "/" in socket:
            raise RuntimeFailure(f"invalid tmux socket name {socket!r}", "use a plain name")
        self.socket = socket
        self.binary = binary
        self.timeout = timeout

    def executable(self) -> str:
        found = shutil.which(self.binary)
        if found is None:
            raise RuntimeFailure(
                f"tmux is not installed (no {self.binary!r} on PATH)",
                INSTALL_HINT,
                code="tmux_missing",
            )
        return found

    def run(self, *args: str, stdin: bytes | None = None) -> str:
        argv = [self.executable(), "-L", self.socket, "-f", os.devnull, *args]
        try:
            done = subprocess.run(
                argv,
                input=stdin,
                capture_output=True,
                timeout=self.timeout,
                env=client_environment(),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeFailure(
                f"tmux {args[0]} did not answer within {self.timeout:g}s (socket {self.socket})",
                f"check the server with `tmux -L {self.socket} list-sessions`",
                code="tmux_timeout",
            ) from exc
        except FileNotFoundError as exc:
            raise RuntimeFailure(
                "tmux is not installed", INSTALL_HINT, code="tmux_missing"
            ) from exc
        out = done.stdout.decode("utf-8", "replace")
        if done.returncode == 0:
            return out
        err = done.stderr.decode("utf-8", "replace").strip() or out.strip()
        first = err.splitlines()[0] if err else f"exit status {done.returncode}"
        if any(marker in err for marker in _SERVER_GONE):
            raise ServerGone(
                f"tmux server {self.socket} is not running: {first}",
                "its sessions are gone; relaunch them",
            )
        if any(marker in err for marker in _TARGET_GONE):
            raise TargetGone(f"tmux: {first}", f"list sessions: tmux -L {self.socket} ls")
        raise RuntimeFailure(
            f"tmux {args[0]} failed: {first}", f"socket {self.socket}", code="tmux_failed"
        )

    def display(self, target: str, fmt: str) -> str:
        return self.run("display-message", "-p", "-t", target, fmt).rstrip("\n")

    def kill_server(self) -> None:
        with contextlib.suppress(ServerGone):
            self.run("kill-server")
        socket_path(self.socket).unlink(missing_ok=True)


def socket_path(socket: str) -> Path:
    """Where tmux keeps the socket of `tmux -L socket` (TMUX_TMPDIR, else /tmp)."""
    base = os.environ.get("TMUX_TMPDIR") or "/tmp"
    return Path(base) / f"tmux-{os.getuid()}" / socket


def remove_server(socket: str) -> None:
    """Kill the server on `socket` and remove its socket file (best effort, never raises)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            ["tmux", "-L", socket, "kill-server"], capture_output=True, check=False, timeout=10
        )
    with contextlib.suppress(OSError):
        socket_path(socket).unlink(missing_ok=True)
