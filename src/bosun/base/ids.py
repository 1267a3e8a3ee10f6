"""Short, collision-safe ids such as `bo-3f9a`."""

from __future__ import annotations

import secrets
import uuid


def short_id(prefix: str, nbytes: int = 3) -> str:
    """`prefix-` and 2*nbytes hex digits. Callers retry on the (rare) unique-key clash."""
    return f"{prefix}-{secrets.token_hex(nbytes)}"


def trace_id() -> str:
    return uuid.uuid4().hex


def session_uuid() -> str:
    return str(uuid.uuid4())
