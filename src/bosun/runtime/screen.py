"""Reading an agent's screen: ready / busy / waiting_input / unknown, and whether text
still sits in its composer. Pure functions of the captured text and a preset's patterns.

Screen scraping is the fallback (hooks are the primary signal for Claude Code), so the
rules are deliberately small:

- `priority` (full-screen TUIs that redraw, e.g. Claude Code): within the last `window`
  non-blank lines, any waiting line wins, then any busy line, then any ready line.
- `last_match` (line-oriented programs such as the sim agent): the lowest line that matches
  any pattern decides, so an old busy line above a fresh prompt does not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bosun.runtime.preset_schema import setting


class ScreenState(StrEnum):
    READY = "ready"
    BUSY = "busy"
    WAITING_INPUT = "waiting_input"
    DEAD = "dead"
    UNKNOWN = "unknown"


RULES = ("priority", "last_match")


@dataclass(frozen=True)
class ScreenPatterns:
    """Regular expressions (searched per line) that recognise a preset's screens; each field
    is also a field of a preset file's `[screen]` table."""

    ready: tuple[str, ...] = setting("regexes", ())
    busy: tuple[str, ...] = setting("regexes", ())
    waiting: tuple[str, ...] = setting("regexes", ())
    # the input line; a named group `input` holds what was typed
    composer: str = setting("regex", "")
    ack: tuple[str, ...] = setting("regexes", ())  # lines that show a prompt was taken
    # the composer shows this instead of pasted text
    paste_placeholder: str = setting("regex", "")
    trust_dialog: str = setting("regex", "")  # the folder-trust question
    trust_answer: tuple[str, ...] = setting("words", ())  # keys that accept it ("1", "Enter")
    rule: str = setting("str", "priority", choices=RULES)
    window: int = setting("int", 12)
    settle: float = setting("number", 0.0)  # seconds to wait after the composer first appears

    @property
    def can_verify(self) -> bool:
        return bool(self.composer)


def _matches(line: str, patterns: tuple[str, ...]) -> bool:
    return any(re.search(p, line) for p in patterns)


def visible_lines(screen: str) -> list[str]:
    return [line.rstrip() for line in screen.splitlines() if line.strip()]


def classify(screen: str, patterns: ScreenPatterns) -> ScreenState:
    """The state a captured screen shows (never DEAD: liveness decides that)."""
    lines = visible_lines(screen)
    if patterns.rule == "last_match":
        for line in reversed(lines):
            kind = _kind(line, patterns)
            if kind is not None:
                return kind
        return ScreenState.UNKNOWN
    window = lines[-patterns.window :] if patterns.window > 0 else lines
    for state, group in (
        (ScreenState.WAITING_INPUT, patterns.waiting),
        (ScreenState.BUSY, patterns.busy),
        (ScreenState.READY, patterns.ready),
    ):
        if any(_matches(line, group) for line in window):
            return state
    return ScreenState.UNKNOWN


def _kind(line: str, patterns: ScreenPatterns) -> ScreenState | None:
    if _matches(line, patterns.waiting):
        return ScreenState.WAITING_INPUT
    if _matches(line, patterns.busy):
        return ScreenState.BUSY
    if _matches(line, patterns.ready):
        return ScreenState.READY
    return None


def shows_trust_dialog(screen: str, patterns: ScreenPatterns) -> bool:
    return bool(patterns.trust_dialog) and any(
        re.search(patterns.trust_dialog, line) for line in visible_lines(screen)[-patterns.window :]
    )


def probe_for(text: str, size: int = 24) -> str:
    """What to look for in the composer: the end of the text's last non-blank line."""
    for line in reversed(text.splitlines()):
        squeezed = " ".join(line.split())
        if squeezed:
            return squeezed[-size:]
    return ""


def composer_holds(screen: str, probe: str, patterns: ScreenPatterns) -> bool:
    """True when the composer still shows the text we sent (Enter was not taken).

    Looks from the last composer line down (see the rule below). The text is pending when
    the composer's input (plus any continuation lines) contains `probe`, or shows a paste
    placeholder.
    """
    if not patterns.composer:
        return False
    lines = visible_lines(screen)
    composer = re.compile(patterns.composer)
    for index in range(len(lines) - 1, -1, -1):
        match = composer.search(lines[index])
        if match is None:
            continue
        below = lines[index + 1 :]
        # An acknowledgement below the composer always means the prompt was taken. In a
        # redrawing TUI (`priority`) so does a busy or waiting line; a line-oriented program
        # (`last_match`, e.g. the sim agent) keeps unsent text in its composer even while a
        # busy line shows under it, so there only the composer's content counts.
        taken = patterns.ack
        if patterns.rule == "priority":
            taken = taken + patterns.busy + patterns.waiting
        if any(_matches(line, taken) for line in below):
            return False
        below = [line for line in below if not _matches(line, patterns.busy)]
        typed = match.groupdict().get("input")
        first = lines[index][match.start() :] if typed is None else typed
        region = " ".join(" ".join(part.split()) for part in [first, *below])
        if patterns.paste_placeholder and re.search(patterns.paste_placeholder, region):
            return True
        return bool(probe) and probe in region
    return False
