"""An agent's liveness colour: a pure function of its status, screen state and last-seen age.

red     crashed or quarantined; its session is dead or gone while it should run;
        or not seen for `red_after`
yellow  stale, or not seen for `yellow_after`
grey    finished (terminated, handed off) or built in: nothing is expected of it
green   otherwise
"""

from __future__ import annotations

from enum import StrEnum

from bosun.web.view import Thresholds


class Liveness(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    GREY = "grey"


FAILED = frozenset({"crashed", "quarantined"})
FINISHED = frozenset({"terminated", "handed_off"})
GONE = frozenset({"dead", "not running"})


def liveness(
    status: str, state: str, age_s: float, limits: Thresholds, *, builtin: bool = False
) -> tuple[Liveness, str]:
    """(colour, why) for one agent."""
    if status in FAILED:
        return Liveness.RED, status
    if status in FINISHED:
        return Liveness.GREY, status.replace("_", " ")
    if builtin:
        return Liveness.GREY, "built in"
    if state in GONE:
        return Liveness.RED, "session dead" if state == "dead" else "no live session"
    if age_s >= limits.red_after:
        return Liveness.RED, f"not seen for {age_s:.0f}s"
    if status == "stale":
        return Liveness.YELLOW, "stale"
    if age_s >= limits.yellow_after:
        return Liveness.YELLOW, f"not seen for {age_s:.0f}s"
    return Liveness.GREEN, "alive"
