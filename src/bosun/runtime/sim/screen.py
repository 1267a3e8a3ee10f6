"""What the sim agent shows, and how a frame is drawn.

The screen contract (the `sim` runtime preset's patterns depend on it):

- idle: the bottom row is the composer, `sim> ` followed by the unsent text (tmux's
  capture-pane strips the trailing space of an empty composer: `sim>`); the row above is a
  rule with the identity and context usage;
- working: the bottom row reads `✻ Working… (3s · esc to interrupt)` and the composer sits
  right above it (text typed meanwhile stays visible), so the lowest matching line tells
  the state; the busy line goes away when the agent is idle again;
- starting (until `bosun prime` has answered): the bottom row reads `  starting…` and keys
  typed meanwhile are dropped, as a real TUI drops input sent before it mounts;
- a dialog (folder trust, permission) replaces both rows with its own lines, the last of
  which is `  2. No, exit` or `Allow this action? [y/n]`.

`Screen.frame` is pure: the model plus a size and a time give the rows. The terminal side
draws only the rows that changed, each with a cursor move and erase-to-end-of-line, so a
concurrent `capture-pane` never sees a cleared screen.
"""

from __future__ import annotations

import textwrap
from collections import deque
from dataclasses import dataclass, field

COMPOSER = "sim> "
BUSY = "esc to interrupt"
TRUST_QUESTION = "Do you trust the files in this folder?"
TRUST_YES = "1. Yes, proceed"
TRUST_NO = "2. No, exit"
PERMISSION_QUESTION = "Allow this action? [y/n]"
STARTING = "  starting…"
HISTORY = 1000


@dataclass
class Screen:
    identity: str = "-"
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=HISTORY))
    composer: str = ""
    busy_label: str | None = None
    busy_since: float = 0.0
    dialog: tuple[str, ...] | None = None
    context_percent: int | None = None
    starting: bool = True  # no composer until the agent has primed itself

    def add(self, line: str) -> None:
        for part in line.splitlines() or [""]:
            self.lines.append(part)

    def footer(self, width: int, now: float) -> list[str]:
        if self.dialog is not None:
            return [_fit(line, width) for line in self.dialog]
        if self.starting:
            return ["", STARTING]
        composer = composer_line(self.composer, width)
        if self.busy_label is not None:
            seconds = max(0, int(now - self.busy_since))
            return [composer, _fit(f"✻ {self.busy_label}… ({seconds}s · {BUSY})", width)]
        ctx = "-" if self.context_percent is None else f"{self.context_percent}%"
        rule = f"── {self.identity} · context {ctx} used "
        return [_fit(rule + "─" * max(0, width - len(rule) - 1), width), composer]

    def frame(self, width: int, height: int, now: float) -> list[str]:
        """Exactly `height` rows of at most `width - 1` characters."""
        width = max(width, 20)
        height = max(height, 4)
        footer = self.footer(width, now)
        room = max(0, height - len(footer))
        body: list[str] = []
        for line in reversed(self.lines):
            wrapped = textwrap.wrap(
                line, width - 1, replace_whitespace=False, drop_whitespace=False
            ) or [""]
            body[:0] = wrapped
            if len(body) >= room:
                break
        body = body[-room:] if room else []
        body += [""] * (room - len(body))
        return body + footer[-height:]

    def cursor(self, width: int, height: int) -> tuple[int, int]:
        """1-based (row, column) for the terminal cursor: the end of the composer."""
        if self.dialog is not None:
            return height, min(width - 1, len(self.dialog[-1]) + 1)
        row = height - 1 if self.busy_label is not None else height
        return row, min(width, len(composer_line(self.composer, width)) + 1)


def composer_line(text: str, width: int) -> str:
    """`sim> ` and the unsent text on one row; newlines show as ⏎; a long text shows its end."""
    shown = text.replace("\n", "⏎").replace("\t", " ")
    room = max(1, width - 1 - len(COMPOSER))
    if len(shown) > room:
        shown = "…" + shown[-(room - 1) :]
    return COMPOSER + shown


def trust_dialog(cwd: str) -> tuple[str, ...]:
    return (
        "╭─ Accessing workspace ─",
        TRUST_QUESTION,
        f"  {cwd}",
        "  bosun's sim agent will be able to read, edit and run files here.",
        f"❯ {TRUST_YES}",
        f"  {TRUST_NO}",
    )


def permission_dialog(action: str) -> tuple[str, ...]:
    return ("╭─ Permission ─", f"  {action}", PERMISSION_QUESTION)


def _fit(line: str, width: int) -> str:
    return line if len(line) < width else line[: width - 2] + "…"


class FrameWriter:
    """Turns frames into terminal output, redrawing only the rows that changed."""

    def __init__(self) -> None:
        self._rows: list[str] = []
        self._cursor = (0, 0)

    def render(self, rows: list[str], cursor: tuple[int, int]) -> str:
        """The output that turns the last frame into this one ("" when nothing changed)."""
        out: list[str] = []
        if len(rows) != len(self._rows):
            out.append("\x1b[H\x1b[2J")
            self._rows = [""] * len(rows)
        for i, row in enumerate(rows):
            if row != self._rows[i]:
                out.append(f"\x1b[{i + 1};1H{row}\x1b[K")
        self._rows = list(rows)
        if out or cursor != self._cursor:
            out.append(f"\x1b[{cursor[0]};{cursor[1]}H")
            self._cursor = cursor
        return "".join(out)
