"""Auto-approve (off by default): which permission prompt the supervisor may answer "yes"
to by itself. A preset's `auto_approve` lists glob patterns; a prompt is approved when one
line of the dialog matches one of them (fnmatch, case-sensitive, whole line). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from bosun.base.errors import InvalidInput

DIALOG_LINES = 12  # how far up from the bottom of the screen a dialog's text is read
_FRAME = "│╭╮╰╯─┃━ \t"


@dataclass(frozen=True)
class Approval:
    pattern: str
    request: str  # the line of the dialog that matched


def check_patterns(patterns: Sequence[str], where: str) -> tuple[str, ...]:
    """Refuse a pattern that approves anything: that is full autonomy, said plainly."""
    for pattern in patterns:
        if not pattern.strip("*? "):
            raise InvalidInput(
                f"{where}: auto_approve pattern {pattern!r} matches every prompt",
                'name the commands, e.g. "Bash(npm test*)"; for no prompts at all set '
                '[agents] autonomy = "full"',
            )
    return tuple(patterns)


def approval_for(screen: str, patterns: Sequence[str]) -> Approval | None:
    """The first pattern a line of the dialog at the bottom of `screen` matches."""
    if not patterns:
        return None
    lines = [line.strip(_FRAME) for line in screen.splitlines() if line.strip(_FRAME)]
    for line in lines[-DIALOG_LINES:]:
        for pattern in patterns:
            if fnmatchcase(line, pattern):
                return Approval(pattern, line)
    return None
