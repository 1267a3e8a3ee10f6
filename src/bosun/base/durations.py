"""Durations as people write them: `250ms`, `90s`, `15m`, `2h`, `1d`, or bare seconds."""

from __future__ import annotations

import math
import re

from bosun.base.errors import InvalidInput

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")


def parse_duration(value: str | int | float, what: str = "duration") -> float:
    """Seconds as a float. `15m` is 900 seconds (not 15: Kilroy's bug)."""
    if isinstance(value, bool):
        raise InvalidInput(f"{what} {value!r} is not a duration", _HINT)
    if isinstance(value, int | float):
        if value < 0:
            raise InvalidInput(f"{what} {value!r} is negative", _HINT)
        if not math.isfinite(value):
            raise InvalidInput(f"{what} {value!r} is not finite", _HINT)
        return float(value)
    match = _DURATION_RE.match(str(value))
    if not match:
        raise InvalidInput(f"{what} {value!r} is not a duration", _HINT, code="bad_duration")
    number, unit = match.groups()
    seconds = float(number) * _UNITS[unit or "s"]
    if not math.isfinite(seconds):
        raise InvalidInput(f"{what} {str(value)[:40]!r} is too long", _HINT, code="bad_duration")
    return seconds


_HINT = "write a duration like 250ms, 90s, 15m, 2h, 1d, or a number of seconds"
