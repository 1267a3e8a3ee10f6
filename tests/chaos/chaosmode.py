"""Campaign sizes: short by default (part of the normal test run), long with
BOSUN_CHAOS_LONG=1 (the figures in docs/reliability.md)."""

from __future__ import annotations

import os

LONG = os.environ.get("BOSUN_CHAOS_LONG") == "1"


def size(short: int, long: int) -> int:
    return long if LONG else short


def figures(campaign: str, **numbers: object) -> str:
    """The one line of figures a campaign prints (shown with `pytest -s`)."""
    mode = "long" if LONG else "short"
    line = f"chaos {campaign} ({mode}): " + " ".join(f"{k}={v}" for k, v in numbers.items())
    print("\n" + line)
    return line
