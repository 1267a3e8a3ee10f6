"""The sim agent's terminal: raw input, bracketed paste, the composer, drawing, signals.

The main thread owns the terminal. It reads keys, edits the composer, accepts prompts
(acknowledging each with `● received <n>: …` and logging it), answers dialogs, and draws
the screen model that the worker thread changes. SIGTERM, SIGINT and SIGHUP end the
program with exit code 0 after the terminal modes are restored.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import termios
import threading
import time
from collections.abc import Iterator
from types import FrameType

from bosun.runtime.sim.agent import SimAgent
from bosun.runtime.sim.console import Console, PromptLog
from bosun.runtime.sim.keys import InputDecoder, Key, KeyKind
from bosun.runtime.sim.screen import FrameWriter

BRACKETED_ON = "\x1b[?2004h"
BRACKETED_OFF = "\x1b[?2004l"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@contextlib.contextmanager
def terminal_mode(fd_in: int, fd_out: int) -> Iterator[None]:
    """No echo, no line editing, CR kept as CR; signals (Ctrl-C) still work."""
    saved = termios.tcgetattr(fd_in) if os.isatty(fd_in) else None
    if saved is not None:
        mode = termios.tcgetattr(fd_in)
        mode[0] &= ~(termios.ICRNL | termios.INLCR | termios.IGNCR | termios.IXON)
        mode[3] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN)
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        termios.tcsetattr(fd_in, termios.TCSANOW, mode)
    _write(fd_out, BRACKETED_ON)
    try:
        yield
    finally:
        _write(fd_out, BRACKETED_OFF + "\r\n")
        if saved is not None:
            termios.tcsetattr(fd_in, termios.TCSADRAIN, saved)


def _write(fd: int, text: str) -> None:
    data = text.encode("utf-8")
    while data:
        try:
            n = os.write(fd, data)
        except InterruptedError:
            continue
        data = data[n:]


class Terminal:
    def __init__(
        self,
        agent: SimAgent,
        console: Console,
        prompt_log: PromptLog,
        wake_fd: int,
        fd_in: int = 0,
        fd_out: int = 1,
    ) -> None:
        self.agent = agent
        self.console = console
        self.prompt_log = prompt_log
        self.wake_fd = wake_fd
        self.fd_in, self.fd_out = fd_in, fd_out
        self.decoder = InputDecoder()
        self.writer = FrameWriter()
        self.prompts = 0
        self.last_paste = float("-inf")
        self.stop_code: int | None = None

    # -- input -----------------------------------------------------------------------------

    def handle(self, key: Key) -> None:
        screen = self.console.screen
        if self.console.dialog_open:
            if key.kind == KeyKind.ENTER:
                self.console.answer("\r")
            elif key.kind == KeyKind.TEXT:
                for ch in key.text:
                    if self.console.answer(ch):
                        break
            elif key.kind in (KeyKind.INTERRUPT, KeyKind.EOF):
                self.stop_code = 0
            return
        if screen.starting:  # like a TUI that has not mounted yet: the key is lost
            if key.kind == KeyKind.INTERRUPT:
                self.stop_code = 0
            else:
                self.console.transcript.append(f"[{key.kind} before the composer: dropped]\n")
            return
        if key.kind in (KeyKind.TEXT, KeyKind.PASTE):
            with self.console.lock:
                screen.composer += key.text
            if key.pasted:
                self.last_paste = key.at
        elif key.kind == KeyKind.ENTER:
            self.enter(key)
        elif key.kind == KeyKind.BACKSPACE:
            with self.console.lock:
                screen.composer = screen.composer[:-1]
        elif key.kind == KeyKind.CLEAR:
            with self.console.lock:
                screen.composer = ""
        elif key.kind == KeyKind.ESCAPE:
            if screen.busy_label is not None:
                self.agent.interrupt()
        elif key.kind == KeyKind.INTERRUPT or (key.kind == KeyKind.EOF and not screen.composer):
            self.stop_code = 0

    def enter(self, key: Key) -> None:
        faults = self.agent.faults
        if faults.swallow_enter and key.at - self.last_paste < faults.swallow_window:
            self.console.transcript.append("[enter swallowed: it came right after a paste]\n")
            return
        with self.console.lock:
            text, self.console.screen.composer = self.console.screen.composer, ""
        if text.strip():
            self.accept(text)

    def accept(self, text: str) -> None:
        self.prompts += 1
        self.prompt_log.record(self.prompts, text)
        self.console.heard(text)
        self.console.say(f"● received {self.prompts}: {text.replace(chr(10), ' ')[:60]}")
        if text.strip() == "/exit":
            self.stop_code = 0
            return
        self.agent.submit(self.prompts, text)

    # -- output ----------------------------------------------------------------------------

    def draw(self) -> None:
        try:
            size = os.get_terminal_size(self.fd_out)
            width, height = size.columns, size.lines
        except OSError:
            width, height = 80, 24
        with self.console.lock:
            rows = self.console.screen.frame(width, height, time.monotonic())
            cursor = self.console.screen.cursor(width, height)
        out = self.writer.render(rows, cursor)
        if out:
            _write(self.fd_out, out)

    # -- the loop --------------------------------------------------------------------------

    def loop(self) -> int:
        while True:
            busy = self.console.screen.busy_label is not None
            timeout = 0.05 if self.decoder.waiting else (0.25 if busy else 1.0)
            try:
                ready, _, _ = select.select([self.fd_in, self.wake_fd], [], [], timeout)
            except InterruptedError:
                ready = []
            now = time.monotonic()
            if self.wake_fd in ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(self.wake_fd, 4096)
            keys: list[Key] = []
            if self.fd_in in ready:
                data = os.read(self.fd_in, 65536)
                if not data:  # the terminal went away
                    self.stop_code = 0 if self.stop_code is None else self.stop_code
                keys = self.decoder.feed(data, now)
            elif self.decoder.waiting:
                keys = self.decoder.flush(now)
            for key in keys:
                self.handle(key)
            code = self.console.exit_code if self.console.exit_code is not None else self.stop_code
            self.draw()
            if code is not None:
                return code


def run_terminal(
    agent: SimAgent,
    console: Console,
    prompt_log: PromptLog,
    wake_r: int,
    initial_prompt: str | None,
) -> tuple[int, int]:
    """Run the agent in this terminal until /exit, a stop signal or a crash fault.

    Returns the exit code and the number of prompts accepted."""
    terminal = Terminal(agent, console, prompt_log, wake_r)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        terminal.stop_code = 0
        console.request_exit(0)

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    worker = threading.Thread(target=agent.run, name="sim-agent-worker", daemon=True)
    try:
        with terminal_mode(terminal.fd_in, terminal.fd_out):
            terminal.draw()
            worker.start()
            if initial_prompt and initial_prompt.strip():
                terminal.accept(initial_prompt)
            code = terminal.loop()
            agent.stop.set()
            agent.workspace.kill_current()
        return code, terminal.prompts
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.stdout.flush()
