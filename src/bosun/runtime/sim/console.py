"""What the worker and the terminal thread share: the screen model, dialogs, the transcript.

The worker (task script, prompt answers) never touches the terminal; it changes the screen
model through a `Console` and wakes the terminal thread, which draws. Dialogs block the
worker until the terminal thread hands it the answer.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bosun.runtime.sim.screen import Screen

TRUST_ANSWERS = {"1": "yes", "\r": "yes", "2": "no"}
PERMISSION_ANSWERS = {"y": "yes", "Y": "yes", "n": "no", "N": "no"}


class AppendLog:
    """An append-only text file; each record is one `write` so lines never interleave."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, text: str) -> None:
        if self.path is None:
            return
        data = text.encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)


class PromptLog(AppendLog):
    """`BOSUN_SIM_PROMPT_LOG`: one JSON line per accepted prompt, for delivery counting."""

    def record(self, n: int, text: str) -> None:
        self.append(json.dumps({"n": n, "text": text, "ts": time.time()}) + "\n")


class Console:
    def __init__(self, screen: Screen, transcript: AppendLog, wake: Callable[[], None]) -> None:
        self.screen = screen
        self.transcript = transcript
        self.lock = threading.RLock()
        self._wake = wake
        self._answers: dict[str, str] = {}
        self._answer: str | None = None
        self._answered = threading.Condition(self.lock)
        self.exit_code: int | None = None

    def say(self, line: str) -> None:
        with self.lock:
            self.screen.add(line)
        self.transcript.append(line.rstrip("\n") + "\n")
        self._wake()

    def heard(self, text: str) -> None:
        """A prompt as the transcript records it: `> ` before the first line."""
        lines = text.splitlines() or [""]
        body = "> " + lines[0] + "".join("\n  " + rest for rest in lines[1:])
        self.transcript.append(body + "\n")

    def busy(self, label: str | None) -> None:
        with self.lock:
            if label is not None and self.screen.busy_label is None:
                self.screen.busy_since = time.monotonic()
            self.screen.busy_label = label
        self._wake()

    def started(self) -> None:
        """Startup is over: show the composer."""
        with self.lock:
            self.screen.starting = False
        self._wake()

    def context(self, percent: int) -> None:
        with self.lock:
            self.screen.context_percent = percent
        self._wake()

    def open_dialog(self, lines: tuple[str, ...], answers: dict[str, str]) -> None:
        """Show a dialog that the keys in `answers` will answer."""
        with self.lock:
            self.screen.dialog = lines
            self._answers = dict(answers)
            self._answer = None
        self._wake()

    @property
    def answered(self) -> str | None:
        with self.lock:
            return self._answer

    def ask(
        self, lines: tuple[str, ...], answers: dict[str, str], stop: threading.Event
    ) -> str | None:
        """Show a dialog and wait for one of `answers`; None when the agent is stopping."""
        with self.lock:
            self.open_dialog(lines, answers)
            while self._answer is None and not stop.is_set():
                self._answered.wait(0.2)
            answer = self._answer
            self.screen.dialog = None
            self._answers = {}
        self._wake()
        return answer

    @property
    def dialog_open(self) -> bool:
        with self.lock:
            return self.screen.dialog is not None

    def answer(self, key: str) -> bool:
        """Called by the terminal thread with a key pressed while a dialog is open."""
        with self.lock:
            value = self._answers.get(key)
            if value is None:
                return False
            self._answer = value
            self._answered.notify_all()
            return True

    def request_exit(self, code: int) -> None:
        with self.lock:
            if self.exit_code is None:
                self.exit_code = code
        self._wake()
