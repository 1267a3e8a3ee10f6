"""Force override: skips the collision, rate and loop safeguards, only with a recorded reason."""

from __future__ import annotations

from bosun.base.errors import InvalidInput
from bosun.base.names import check_text


def check_force(force: bool, why: str | None) -> str | None:
    """The reason to record, or None when not forced; a force without a reason is refused."""
    if not force:
        if why:
            raise InvalidInput(
                "--why was given without --force",
                "add --force to override the safeguards, or drop --why",
                code="why_without_force",
            )
        return None
    if why is None or not why.strip():
        raise InvalidInput(
            "a forced trigger needs a reason",
            "add --why TEXT: it is recorded in the event log",
            code="force_without_reason",
        )
    check_text(why, "force reason", 4096)
    return why.strip()
