"""Identities: persistent agent names (`role/name`) that outlive every session."""

from __future__ import annotations

import builtins  # the method `list` shadows the builtin in the class's annotations
from typing import TYPE_CHECKING, Any

from bosun.base.errors import Conflict, InvalidInput, NotFound
from bosun.base.names import check_name, check_text, split_identity
from bosun.core.mirrors import mirror_identity, unmirror_identity
from bosun.core.records import (
    IDENTITY_TRANSITIONS,
    Hook,
    Identity,
    IdentityStatus,
    Phase,
    check_transition,
)

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx

_UNSET: Any = object()


class Identities:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reads ----------------------------------------------------------------------------

    def get(self, role: str, name: str) -> Identity:
        with self.ctx.store.transaction(write=False) as tx:
            return self.get_in(tx, role, name)

    def find(self, role: str, name: str) -> Identity | None:
        with self.ctx.store.transaction(write=False) as tx:
            row = tx.one("identity_get", role=check_name(role, "role"), name=check_name(name))
        return Identity.from_row(row) if row else None

    def resolve(self, ref: str, name: str | None = None) -> tuple[str, str]:
        """`ROLE NAME`, `ROLE/NAME`, or a bare NAME when exactly one identity has it."""
        if name is not None:
            return check_name(ref, "role"), check_name(name)
        if "/" in ref:
            return split_identity(ref)
        check_name(ref)
        matches = [i for i in self.list() if i.name == ref]
        if not matches:
            raise NotFound(f"no agent named {ref!r}", "list agents with `bosun agent list`")
        if len(matches) > 1:
            refs = ", ".join(i.ref for i in matches)
            raise InvalidInput(f"{ref!r} is ambiguous: {refs}", "give ROLE/NAME")
        return matches[0].role, matches[0].name

    def exists_in(self, tx: Tx, role: str, name: str) -> bool:
        return tx.one("identity_get", role=role, name=name) is not None

    def get_in(self, tx: Tx, role: str, name: str) -> Identity:
        row = tx.one("identity_get", role=check_name(role, "role"), name=check_name(name))
        if row is None:
            raise NotFound(
                f"no identity {role}/{name}",
                f"create it with `bosun identity create {role} {name}`",
            )
        return Identity.from_row(row)

    def list(
        self, role: str | None = None, status: str | None = None, stale_only: bool = False
    ) -> list[Identity]:
        if role is not None:
            check_name(role, "role")
        if status is not None:
            status = str(IdentityStatus(status)) if status in _STATUSES else _bad_status(status)
        if stale_only:
            found = self.find_stale()
            return [
                i
                for i in found
                if (role is None or i.role == role) and (status is None or i.status == status)
            ]
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.all("identity_list", role=role, status=status)
        return [Identity.from_row(r) for r in rows]

    def find_stale(self, timeout: float | None = None) -> builtins.list[Identity]:
        """Identities not seen for `timeout` seconds that are not terminated or handed off."""
        if timeout is None:
            timeout = self.ctx.config.number("identity.stale_after")
        if timeout < 0:
            raise InvalidInput(f"timeout {timeout} is negative", "give a number of seconds >= 0")
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.all("identity_find_stale", cutoff=tx.now - timeout)
        return [Identity.from_row(r) for r in rows]

    # -- writes ---------------------------------------------------------------------------

    def create(
        self,
        role: str,
        name: str,
        *,
        session_id: str | None = None,
        worktree: str | None = None,
        runtime: str | None = None,
        initiative: str | None = None,
        host: str | None = None,
        pid: int | None = None,
        crew: bool = False,
    ) -> Identity:
        """Register `role/name`; idempotent. Given fields refresh an existing record."""
        check_name(role, "role")
        check_name(name)
        for label, value in (
            ("session id", session_id),
            ("worktree", worktree),
            ("runtime", runtime),
            ("initiative", initiative),
            ("host", host),
        ):
            if value is not None:
                check_text(value, label, 4096)
        with self.ctx.store.transaction() as tx:
            created = tx.run(
                "identity_insert",
                role=role,
                name=name,
                session_id=session_id,
                runtime=runtime,
                worktree=worktree,
                initiative=initiative,
                host=host,
                pid=pid,
                crew=int(crew),
            )
            if created:
                identity = self.get_in(tx, role, name)
                tx.emit("identity.created", identity.ref, {"runtime": runtime, "crew": crew})
            else:
                current = self.get_in(tx, role, name)
                changes = {
                    k: v
                    for k, v in dict(
                        session_id=session_id,
                        worktree=worktree,
                        runtime=runtime,
                        initiative=initiative,
                        host=host,
                        pid=pid,
                    ).items()
                    if v is not None and getattr(current, k) != v
                }
                if crew and not current.crew:
                    changes["crew"] = True
                identity = current
                if changes:
                    identity = self._write(tx, current, **changes)
                    tx.emit("identity.updated", identity.ref, _jsonable(changes))
            mirror_identity(self.ctx, tx, identity)
            return identity

    def heartbeat(self, role: str, name: str) -> Identity:
        """Record that the identity is alive now; a stale identity becomes active again.

        A bare heartbeat is no transition, so it commits without waiting for the disk
        (`durable=False`); one that turns a stale identity active records an event and
        commits durably.
        """
        check_name(role, "role")
        check_name(name)
        with self.ctx.store.transaction(durable=False) as tx:
            row = tx.one("identity_touch", role=role, name=name)
            if row is not None:
                return Identity.from_row(row)
            before = self.get_in(tx, role, name)  # raises NotFound
            tx.run("identity_heartbeat", role=role, name=name)
            identity = self.get_in(tx, role, name)
            tx.emit(
                "identity.status",
                identity.ref,
                {"old": str(before.status), "new": str(identity.status), "reason": "heartbeat"},
            )
            mirror_identity(self.ctx, tx, identity)
            return identity

    def set_status(
        self,
        role: str,
        name: str,
        status: IdentityStatus,
        reason: str | None = None,
        **fields: Any,
    ) -> Identity:
        with self.ctx.store.transaction() as tx:
            return self.set_status_in(tx, role, name, status, reason, **fields)

    def set_status_in(
        self,
        tx: Tx,
        role: str,
        name: str,
        status: IdentityStatus,
        reason: str | None = None,
        **fields: Any,
    ) -> Identity:
        """Move to `status` (validated); the same status again changes nothing."""
        if reason is not None:
            check_text(reason, "reason", 4096)
        current = self.get_in(tx, role, name)
        if current.status == status and not fields:
            return current
        if current.status != status:
            check_transition(
                IDENTITY_TRANSITIONS, f"identity {current.ref}", current.status, status
            )
        identity = self._write(tx, current, status=status, status_reason=reason, **fields)
        tx.emit(
            "identity.status",
            identity.ref,
            {"old": str(current.status), "new": str(status), "reason": reason, **_jsonable(fields)},
        )
        mirror_identity(self.ctx, tx, identity)
        return identity

    def delete_in(self, tx: Tx, role: str, name: str) -> Identity:
        """Forget ROLE/NAME and its hook; refused while its hook holds unfinished work.
        (Sessions are the fleet's to check: see agents/forget.py.) Its events stay."""
        identity = self.check_deletable_in(tx, role, name)
        tx.run("hook_delete", role=role, name=name)
        tx.run("identity_delete", role=role, name=name)
        tx.emit("identity.deleted", identity.ref, {"incarnation": identity.incarnation})
        unmirror_identity(self.ctx, tx, role, name)
        return identity

    def check_deletable_in(self, tx: Tx, role: str, name: str) -> Identity:
        """The identity, when its hook holds no unfinished work (Conflict otherwise)."""
        identity = self.get_in(tx, role, name)
        row = tx.one("hook_get", role=role, name=name)
        hook = Hook.from_row(row) if row is not None else None
        if hook is not None and hook.phase not in (Phase.RELEASED, Phase.MERGED):
            raise Conflict(
                f"{identity.ref} holds work {hook.work_id} at {hook.phase}",
                f"finish it, or release it first: `bosun hook release {role} {name}`",
            )
        return identity

    def mark_crashed(self, role: str, name: str, reason: str | None = None) -> Identity:
        return self.set_status(role, name, IdentityStatus.CRASHED, reason)

    def mark_terminated(self, role: str, name: str, reason: str | None = None) -> Identity:
        return self.set_status(role, name, IdentityStatus.TERMINATED, reason)

    def new_incarnation(
        self,
        tx: Tx,
        role: str,
        name: str,
        *,
        session_id: str | None = None,
        pid: int | None = None,
        reason: str = "respawn",
    ) -> Identity:
        """A new session for the identity: incarnation + 1, status active, seen now."""
        current = self.get_in(tx, role, name)
        if current.status != IdentityStatus.ACTIVE:
            check_transition(
                IDENTITY_TRANSITIONS,
                f"identity {current.ref}",
                current.status,
                IdentityStatus.ACTIVE,
            )
        identity = self._write(
            tx,
            current,
            status=IdentityStatus.ACTIVE,
            status_reason=reason,
            incarnation=current.incarnation + 1,
            session_id=session_id,
            pid=pid,
        )
        tx.run("identity_heartbeat", role=role, name=name)
        identity = self.get_in(tx, role, name)
        tx.emit(
            "identity.incarnation",
            identity.ref,
            {
                "incarnation": identity.incarnation,
                "old_status": str(current.status),
                "session_id": session_id,
                "pid": pid,
                "reason": reason,
            },
        )
        mirror_identity(self.ctx, tx, identity)
        return identity

    def _write(self, tx: Tx, current: Identity, **changes: Any) -> Identity:
        values = {
            "status": current.status,
            "session_id": current.session_id,
            "incarnation": current.incarnation,
            "runtime": current.runtime,
            "worktree": current.worktree,
            "initiative": current.initiative,
            "host": current.host,
            "pid": current.pid,
            "crew": current.crew,
            "status_reason": current.status_reason,
        }
        values.update(changes)
        values["status"] = str(values["status"])
        values["crew"] = int(bool(values["crew"]))
        tx.run("identity_update", role=current.role, name=current.name, **values)
        return self.get_in(tx, current.role, current.name)


_STATUSES = {str(s) for s in IdentityStatus}


def _bad_status(status: str) -> str:
    raise InvalidInput(
        f"unknown identity status {status!r}", "use one of: " + ", ".join(sorted(_STATUSES))
    )


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if hasattr(v, "value") else v) for k, v in data.items()}
