"""Validation of the names people and agents type: roles, identity names, ids."""

from __future__ import annotations

import re

from bosun.base.errors import InvalidName

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
MAX_TEXT = 64 * 1024


def check_name(value: str, what: str = "name") -> str:
    """Return `value` when it is a valid role or identity name; raise InvalidName otherwise."""
    if not isinstance(value, str) or not NAME_RE.match(value) or ".." in value:
        shown = value if isinstance(value, str) and len(value) <= 70 else f"{str(value)[:40]}…"
        raise InvalidName(
            f"invalid {what} {shown!r}",
            "use 1-63 characters: lowercase letters, digits, '_', '.', '-'; "
            "start with a letter or digit; no '/' or '..'",
        )
    return value


def split_identity(ref: str) -> tuple[str, str]:
    """Split 'role/name' into its checked parts."""
    if not isinstance(ref, str) or ref.count("/") != 1:
        raise InvalidName(
            f"invalid identity {ref!r}", "write an identity as ROLE/NAME, e.g. polecat/toast"
        )
    role, name = ref.split("/")
    return check_name(role, "role"), check_name(name, "name")


def check_text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    """Refuse text longer than `limit` bytes (UTF-8) rather than truncating it."""
    if "\x00" in value:  # PostgreSQL cannot store it; SQLite would truncate it in places
        raise InvalidName(f"{what} contains a NUL byte", f"remove the NUL from the {what}")
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InvalidName(
            f"{what} is {size} bytes; the limit is {limit} bytes",
            f"shorten the {what} or put the long part in a file and refer to it",
            code="too_large",
        )
    return value
