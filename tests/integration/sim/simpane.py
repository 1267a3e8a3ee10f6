"""Helpers that run the sim agent in a real tmux server on the test's own socket.

The tests drive tmux directly (`new-session`, `send-keys`, `paste-buffer`, `capture-pane`)
so they pin down the screen contract independently of bosun's own tmux driver.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from waiting import wait_for

BOSUN = [sys.executable, "-m", "bosun"]
HUMAN_KEY_GAP = 0.03  # a fast human typist; well above the 8 ms paste-burst window


class SimPane:
    """One sim agent in a detached tmux session (`remain-on-exit`, so its exit status stays)."""

    def __init__(
        self, socket: str, cwd: Path, files: Path, env: dict[str, str], args: list[str]
    ) -> None:
        self.socket, self.cwd = socket, cwd
        self.prompt_log = files / "prompts.jsonl"
        self.transcript = files / "transcript.log"
        env = {
            "BOSUN_SIM_PROMPT_LOG": str(self.prompt_log),
            "BOSUN_SIM_TRANSCRIPT": str(self.transcript),
            **env,
        }
        flags = [item for key, value in env.items() for item in ("-e", f"{key}={value}")]
        self.tmux(
            "-f",
            "/dev/null",
            "start-server",
            ";",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
            ";",
            "new-session",
            "-d",
            "-s",
            "sim",
            "-x",
            "100",
            "-y",
            "40",
            "-c",
            str(cwd),
            *flags,
            "--",
            *BOSUN,
            "sim-agent",
            *args,
        )

    def tmux(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "sim")

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen().splitlines() if line.strip()]

    def bottom(self) -> str:
        lines = self.lines()
        return lines[-1] if lines else ""

    def shows(self, text: str) -> bool:
        return text in self.screen()

    def wait_shows(self, text: str, timeout: float = 30.0) -> str:
        return wait_for(lambda: self.shows(text) and self.screen(), timeout, what=repr(text))

    def wait_idle(self, timeout: float = 30.0) -> None:
        """The composer is the bottom line and no busy line is left."""
        wait_for(
            lambda: self.bottom().startswith("sim>") and not self.shows("esc to interrupt"),
            timeout,
            what="an idle sim agent",
        )

    def type(self, text: str) -> None:
        """One key per tmux call at a typist's pace, each seen in the composer first."""
        for i, ch in enumerate(text):
            time.sleep(HUMAN_KEY_GAP)  # the pace is the input under test, not a wait
            self.tmux("send-keys", "-t", "sim", "-l", "--", ch)
            typed = text[: i + 1]
            wait_for(
                lambda typed=typed: self.bottom().endswith(typed.rstrip()),
                10,
                what=f"{typed!r} in the composer",
            )

    def paste(self, text: str, *then: str) -> None:
        """A bracketed paste (`paste-buffer -p -r`), then keys in the same tmux command."""
        self.tmux("set-buffer", "-b", "sim-test", "--", text)
        extra = [a for key in then for a in (";", "send-keys", "-t", "sim", key)]
        self.tmux("paste-buffer", "-p", "-r", "-d", "-b", "sim-test", "-t", "sim", *extra)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "sim", *keys)

    def prompts(self) -> list[dict[str, object]]:
        if not self.prompt_log.exists():
            return []
        return [json.loads(line) for line in self.prompt_log.read_text().splitlines()]

    def dead_status(self) -> int | None:
        """None while alive; the exit status, or 128 + N when killed by signal N.

        tmux 3.3a can mark a pane dead (its pty closed) and then miss the child's SIGCHLD,
        leaving the status empty and the child a zombie until another child of the server
        exits; a `run-shell true` provides one, so the status is read again after it.
        """
        for attempt in range(2):
            dead, status, killed = (
                self.tmux(
                    "display-message",
                    "-p",
                    "-t",
                    "sim",
                    "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}",
                )
                .strip()
                .split(":")
            )
            if dead != "1":
                return None
            if status or killed:
                return int(status) if status else 128 + int(killed)
            if attempt == 0:
                self.tmux("run-shell", "true")
        return None

    def wait_exit(self, timeout: float = 30.0) -> int:
        wait_for(lambda: self.dead_status() is not None, timeout, what="the sim agent to exit")
        status = self.dead_status()
        assert status is not None
        return status

    def pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "sim", "#{pane_pid}").strip())

    def respawn(self) -> None:
        """A new incarnation in the same pane (same command, same environment)."""
        self.tmux("respawn-pane", "-t", "sim")


def bosun(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        [*BOSUN, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BOSUN_HOME": str(cwd)},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def pin_task(project: Path, script: dict[str, object], identity: str = "polecat/toast") -> str:
    """Register the identity (and refinery/main), create a work item carrying the task
    script and pin it; returns the work id."""
    role, name = identity.split("/")
    bosun(project, "identity", "create", role, name)
    bosun(project, "identity", "create", "refinery", "main")
    body = f"Do it.\n\n```bosun-task\n{json.dumps(script)}\n```\n"
    work = json.loads(bosun(project, "work", "create", "Sim task", "--body", body, "--json"))
    bosun(project, "hook", "pin", role, name, work["id"])
    return str(work["id"])


StartSim = Callable[..., SimPane]
