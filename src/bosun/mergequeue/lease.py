"""One processor per target, fleet-wide.

SQLite: a lease row (`merge_targets.lease_holder`, `lease_expires_at`) taken when free,
expired, or held by a process on this host that no longer exists; renewed while a gate
runs. PostgreSQL: the store's session lock (an advisory lock), which the server drops with
the connection of a processor that dies.
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bosun.core.context import Context

LOCK_SPACE = 0x6D71  # "mq": the merge queue's session locks, one per target


class Lease(Protocol):
    holder: str

    def acquire(self) -> bool: ...

    def renew(self) -> bool:
        """Extend the lease; False when it was lost (another processor took it)."""

    def release(self) -> None: ...

    def describe_holder(self) -> str | None: ...


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def ensure_target(ctx: Context, target: str, window: int) -> None:
    with ctx.store.transaction() as tx:
        tx.run("mt_ensure", target=target, window_size=window)


class RowLease:
    def __init__(self, ctx: Context, target: str, ttl: float) -> None:
        self.ctx, self.target, self.ttl = ctx, target, ttl
        self.holder = holder_id()

    def acquire(self) -> bool:
        with self.ctx.store.transaction() as tx:
            row = tx.one("mt_get", target=self.target)
            current = row["lease_holder"] if row else None
            dead = current if current and holder_is_dead(current) else None
            taken = tx.run(
                "mt_lease_acquire",
                target=self.target,
                holder=self.holder,
                expires_at=tx.now + self.ttl,
                dead_holder=dead,
            )
            if taken and current and current != self.holder:
                tx.emit(
                    "merge.lease_taken_over",
                    self.target,
                    {
                        "holder": self.holder,
                        "previous": current,
                        "why": "holder process is gone" if dead else "lease expired",
                    },
                )
            return bool(taken)

    def renew(self) -> bool:
        with self.ctx.store.transaction() as tx:
            return bool(
                tx.run(
                    "mt_lease_renew",
                    target=self.target,
                    holder=self.holder,
                    expires_at=tx.now + self.ttl,
                )
            )

    def release(self) -> None:
        with self.ctx.store.transaction() as tx:
            tx.run("mt_lease_release", target=self.target, holder=self.holder)

    def describe_holder(self) -> str | None:
        with self.ctx.store.transaction(write=False) as tx:
            row = tx.one("mt_get", target=self.target)
        if not row or not row["lease_holder"]:
            return None
        return f"{row['lease_holder']} (lease until {row['lease_expires_at']:.0f})"


class AdvisoryLease:
    def __init__(self, ctx: Context, target: str) -> None:
        self.ctx, self.target = ctx, target
        self.holder = holder_id()
        self._held = False

    def acquire(self) -> bool:
        if self._held:
            return True
        self._held = self.ctx.store.try_session_lock(LOCK_SPACE, self.target)
        return self._held

    def renew(self) -> bool:
        """Held for as long as our connection lives; checked, since a reconnect drops it."""
        self._held = self._held and self.ctx.store.holds_session_lock(LOCK_SPACE, self.target)
        return self._held

    def release(self) -> None:
        if self._held:
            self._held = False
            self.ctx.store.release_session_lock(LOCK_SPACE, self.target)

    def describe_holder(self) -> str | None:
        return "another processor (PostgreSQL advisory lock)"


def open_lease(ctx: Context, target: str) -> Lease:
    if ctx.store.dialect == "postgres":
        return AdvisoryLease(ctx, target)
    return RowLease(ctx, target, ctx.config.number("merge_queue.lease_ttl"))


def holder_is_dead(holder: str) -> bool:
    """Positive evidence only: same host, and no process with that pid."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
