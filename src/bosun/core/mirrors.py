"""Atomic JSON mirrors of identities and hooks, for runtimes that can only read files.

Written after the transaction commits. Two processes can commit in one order and write
their mirrors in the other, so each mirror carries the commit time (`mirrored_at`) and an
older write never replaces a newer one (checked under a lock on the directory).
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.paths import atomic_write_json

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.core.records import Hook, Identity
    from bosun.store.protocol import Tx


def mirror_identity(ctx: Context, tx: Tx, identity: Identity) -> None:
    if ctx.paths is None or not ctx.config.flag("mirrors.enabled"):
        return
    path = ctx.paths.identity_mirror(identity.role, identity.name)
    data = identity.to_json(tx.now)
    stamp = tx.now
    tx.after_commit(lambda: write_if_newer(path, data, stamp))


def unmirror_identity(ctx: Context, tx: Tx, role: str, name: str) -> None:
    """Remove a deleted identity's mirror (and its hook's) once the deletion commits."""
    if ctx.paths is None or not ctx.config.flag("mirrors.enabled"):
        return
    stale = (ctx.paths.identity_mirror(role, name), ctx.paths.hook_mirror(role, name))
    stamp = tx.now

    def remove() -> None:
        for path in stale:
            write_if_newer(path, None, stamp)

    tx.after_commit(remove)


def mirror_hook(ctx: Context, tx: Tx, role: str, name: str, hook: Hook | None) -> None:
    if ctx.paths is None or not ctx.config.flag("mirrors.enabled"):
        return
    path = ctx.paths.hook_mirror(role, name)
    data = hook.to_json() if hook else None
    stamp = tx.now
    tx.after_commit(lambda: write_if_newer(path, data, stamp))


def write_if_newer(path: Path, data: dict[str, Any] | None, stamp: float) -> None:
    """Write (or, for None, remove) the mirror unless a newer commit already wrote it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            current = json.loads(path.read_text(encoding="utf-8")).get("mirrored_at", 0)
        except (OSError, ValueError, AttributeError):
            current = 0
        if current > stamp:
            return
        if data is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write_json(path, {**data, "mirrored_at": stamp})
    finally:
        os.close(fd)
