"""Payload safety for text typed into an agent: no control characters, no escape sequences,
no silent truncation."""

from __future__ import annotations

import re

from bosun.base.errors import InvalidInput

# CSI (ESC [ … final), OSC (ESC ] … BEL or ST), DCS/SOS/PM/APC (ESC P|X|^|_ … ST),
# two-byte escapes (ESC + one char), and their 8-bit C1 forms.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def clean_text(text: str) -> str:
    """Strip escape sequences and control characters, keeping newline and tab.

    Carriage returns become newlines first (CRLF and CR line ends are still line ends).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def check_size(text: str, limit: int) -> int:
    """The UTF-8 size of `text`; refuse (nothing is sent) when it exceeds `limit`."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InvalidInput(
            f"text is {size} bytes; the limit for typing into a session is {limit} bytes",
            "put the long part in a file and send its path, or raise runtime.max_send_bytes",
            code="too_large",
        )
    return size


def prepare_payload(text: str, limit: int) -> str:
    """Check the size of what the caller gave, then clean it. Raises before anything is sent."""
    if not isinstance(text, str):
        raise InvalidInput("text to send must be a string", "pass text, not bytes")
    check_size(text, limit)
    return clean_text(text)
