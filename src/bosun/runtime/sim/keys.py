"""Turning terminal input bytes into keys, and telling pastes from typing.

Text is a paste when it arrives inside bracketed-paste markers (ESC[200~ … ESC[201~) or
faster than a human types: `BURST_MIN` characters or more within `BURST_GAP` seconds of each
other (Codex treats 3 characters within 8 ms as a paste). Inside a bracketed paste CR and
CRLF become newlines and nothing is submitted; outside, CR is Enter and LF inserts a newline.

The decoder is pure: it is fed bytes with their arrival time and returns keys.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from enum import StrEnum

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
BURST_GAP = 0.008
BURST_MIN = 3


class KeyKind(StrEnum):
    TEXT = "text"  # typed or burst text (`pasted` tells which)
    PASTE = "paste"  # a complete bracketed paste
    ENTER = "enter"
    BACKSPACE = "backspace"
    CLEAR = "clear"  # Ctrl-U
    ESCAPE = "escape"
    INTERRUPT = "interrupt"  # Ctrl-C when it reaches us as a byte
    EOF = "eof"  # Ctrl-D


@dataclass(frozen=True)
class Key:
    kind: KeyKind
    at: float
    text: str = ""
    pasted: bool = False


_CONTROL = {
    "\r": KeyKind.ENTER,
    "\x7f": KeyKind.BACKSPACE,
    "\x08": KeyKind.BACKSPACE,
    "\x15": KeyKind.CLEAR,
    "\x03": KeyKind.INTERRUPT,
    "\x04": KeyKind.EOF,
}


class InputDecoder:
    def __init__(self, burst_gap: float = BURST_GAP, burst_min: int = BURST_MIN) -> None:
        self.burst_gap = burst_gap
        self.burst_min = burst_min
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""  # an escape sequence cut off at the end of a read
        self._paste: list[str] | None = None  # inside ESC[200~ … ESC[201~
        self._last_text_at = float("-inf")
        self._burst = 0

    @property
    def waiting(self) -> bool:
        """True when a lone ESC (or a cut-off sequence) waits for more bytes or `flush`."""
        return bool(self._pending)

    def feed(self, data: bytes, now: float) -> list[Key]:
        text = self._pending + self._utf8.decode(data)
        self._pending = ""
        keys: list[Key] = []
        run: list[str] = []
        i = 0
        while i < len(text):
            if self._paste is not None:
                end = text.find(PASTE_END, i)
                if end < 0:
                    tail = _partial_suffix(text, PASTE_END)
                    self._paste.append(text[i : len(text) - tail])
                    self._pending = text[len(text) - tail :] if tail else ""
                    break
                self._paste.append(text[i:end])
                body = "".join(self._paste).replace("\r\n", "\n").replace("\r", "\n")
                self._paste = None
                keys.append(Key(KeyKind.PASTE, now, body, pasted=True))
                i = end + len(PASTE_END)
                continue
            ch = text[i]
            if ch == "\x1b":
                self._flush_run(run, keys, now)
                consumed = self._escape(text, i, now, keys)
                if consumed == 0:  # cut off: wait for the rest
                    self._pending = text[i:]
                    break
                i += consumed
                continue
            if ch in _CONTROL:
                self._flush_run(run, keys, now)
                keys.append(Key(_CONTROL[ch], now))
            elif ch in "\n\t" or ch >= " ":
                run.append(ch)
            i += 1
        self._flush_run(run, keys, now)
        return keys

    def flush(self, now: float) -> list[Key]:
        """Resolve a lone ESC that no further bytes followed."""
        if not self._pending or self._paste is not None:
            return []
        pending, self._pending = self._pending, ""
        if pending == "\x1b":
            return [Key(KeyKind.ESCAPE, now)]
        return []  # an unfinished sequence that never completed: dropped

    def _flush_run(self, run: list[str], keys: list[Key], now: float) -> None:
        if not run:
            return
        chunk = "".join(run).replace("\t", " ")
        run.clear()
        if now - self._last_text_at <= self.burst_gap:
            self._burst += len(chunk)
        else:
            self._burst = len(chunk)
        self._last_text_at = now
        keys.append(Key(KeyKind.TEXT, now, chunk, pasted=self._burst >= self.burst_min))

    def _escape(self, text: str, i: int, now: float, keys: list[Key]) -> int:
        """Consume an escape sequence at `i`; return its length, or 0 when it is cut off."""
        if text.startswith(PASTE_START, i):
            self._paste = []
            return len(PASTE_START)
        if i + 1 >= len(text):
            return 0
        nxt = text[i + 1]
        if nxt == "[":  # CSI: parameters, intermediates, one final byte
            j = i + 2
            while j < len(text) and not ("@" <= text[j] <= "~"):
                j += 1
            if j >= len(text):
                return 0 if PASTE_START.startswith(text[i:]) or len(text) - i < 16 else 2
            return j + 1 - i
        if nxt == "O":  # SS3 (F1-F4, keypad)
            return 0 if i + 2 >= len(text) else 3
        if nxt == "\x1b":
            keys.append(Key(KeyKind.ESCAPE, now))
            return 1
        return 2  # Alt+key: ignored


def _partial_suffix(text: str, marker: str) -> int:
    """How many trailing characters of `text` could start `marker`."""
    for size in range(min(len(marker) - 1, len(text)), 0, -1):
        if marker.startswith(text[-size:]):
            return size
    return 0
