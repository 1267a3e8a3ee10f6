"""docs/supervisor.md's bounds table states what `policies/bounds.py` computes at the
defaults (the supervision simulator checks the same bounds against the real engine)."""

from __future__ import annotations

import math
from pathlib import Path

from bosun.base.config import default_config
from bosun.supervisor.policies.bounds import Bounds
from bosun.supervisor.typed_settings import validate_supervisor_config

DOC = Path(__file__).resolve().parents[3] / "docs" / "supervisor.md"


def minutes(seconds: float) -> int:
    return math.ceil(seconds / 60)


def test_the_documented_bounds_match_the_defaults() -> None:
    s = validate_supervisor_config(default_config())
    b = Bounds(s.detect, s.ladder, s.restart, s.tick_interval)
    per_minute = b.crash_loop(60) - b.crash_loop(0)  # each minute of a run, times restarts
    assert per_minute == b.repeating_stall(60) - b.repeating_stall(0)
    runs = round(per_minute / 60)
    table = DOC.read_text().split("<!-- bounds:begin -->")[1].split("<!-- bounds:end -->")[0]
    expected = [
        f"| escalated | {minutes(b.stalled())} min |",
        f"| escalated | {minutes(b.stale())} min |",
        f"| quarantined | {minutes(b.crash_loop(0))} min |",
        f"| quarantined | {minutes(b.crash_loop(0))} min + {runs}·R |",
        f"| escalated or quarantined | {minutes(b.repeating_stall(0))} min + {runs}·W |",
    ]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == len(expected) + 1  # the header
    for row, cells in zip(rows[1:], expected, strict=True):
        assert row.endswith(cells), f"{row!r} should end with {cells!r}"
