"""Work items and wisps (ephemeral work items with a time to live)."""

from __future__ import annotations

import builtins  # the method `list` shadows the builtin in the class's annotations
from typing import TYPE_CHECKING

from bosun.base.errors import InvalidInput, NotFound, OperationFailed
from bosun.base.ids import short_id
from bosun.base.names import check_text
from bosun.core.agreement import holders_in, hooks_follow_work_in
from bosun.core.records import (
    UNFINISHED_PHASES,
    WORK_TRANSITIONS,
    WorkItem,
    WorkStatus,
    check_transition,
)

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx

MAX_TTL_S = 100 * 365.25 * 86400  # a wisp's TTL beyond this is a typo, not a plan


def parse_status(value: str) -> WorkStatus:
    try:
        return WorkStatus(value)
    except ValueError:
        raise InvalidInput(
            f"unknown work status {value!r}",
            "use one of: " + ", ".join(s.value for s in WorkStatus),
        ) from None


class Work:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def create(
        self,
        title: str,
        body: str = "",
        priority: int = 2,
        wisp: bool = False,
        ttl: float | None = None,
    ) -> WorkItem:
        if not title.strip():
            raise InvalidInput("a work item needs a title", "give a short title")
        check_text(title, "title", 1024)
        check_text(body, "body")
        if not 0 <= priority <= 4:
            raise InvalidInput(f"priority {priority} is out of range", "use 0 (highest) to 4")
        if ttl is not None and not wisp:
            raise InvalidInput("--ttl only applies to wisps", "add --wisp or drop --ttl")
        if ttl is not None and ttl <= 0:
            raise InvalidInput(f"ttl {ttl} must be positive", "use e.g. 30m, 24h")
        if ttl is not None and ttl > MAX_TTL_S:
            raise InvalidInput(f"ttl {ttl:.0f}s is longer than 100 years", "use e.g. 30m, 24h, 7d")
        with self.ctx.store.transaction() as tx:
            expires = None
            if wisp:
                expires = tx.now + (
                    ttl if ttl is not None else self.ctx.config.number("work.wisp_ttl")
                )
            for _ in range(20):
                work_id = short_id("wi" if wisp else "bo", 2 if _ < 10 else 4)
                if tx.run(
                    "work_insert",
                    id=work_id,
                    title=title,
                    body=body,
                    priority=priority,
                    wisp=int(wisp),
                    expires_at=expires,
                ):
                    break
            else:  # pragma: no cover - 20 clashes in a row
                raise OperationFailed("could not allocate a work id", "try again")
            item = self.get_in(tx, work_id)
            tx.emit("work.created", work_id, {"title": title, "priority": priority, "wisp": wisp})
            return item

    def get(self, work_id: str) -> WorkItem:
        with self.ctx.store.transaction(write=False) as tx:
            return self.get_in(tx, work_id)

    def get_in(self, tx: Tx, work_id: str) -> WorkItem:
        row = tx.one("work_get", id=work_id)
        if row is None:
            raise NotFound(f"no work item {work_id!r}", "list work items with `bosun work list`")
        return WorkItem.from_row(row)

    def list(self, status: str | None = None, include_wisps: bool = False) -> list[WorkItem]:
        with self.ctx.store.transaction(write=False) as tx:
            return self.list_in(tx, status, include_wisps)

    def list_in(
        self, tx: Tx, status: str | None = None, include_wisps: bool = False
    ) -> builtins.list[WorkItem]:
        if status is not None:
            status = str(parse_status(status))
        rows = tx.all("work_list", status=status, include_wisps=int(include_wisps))
        return [WorkItem.from_row(r) for r in rows]

    def ready(self, include_wisps: bool = False) -> builtins.list[WorkItem]:
        """Open work that no unfinished hook holds, highest priority first."""
        with self.ctx.store.transaction(write=False) as tx:
            return self.ready_in(tx, include_wisps)

    def ready_in(self, tx: Tx, include_wisps: bool = False) -> builtins.list[WorkItem]:
        rows = tx.all("work_ready", include_wisps=int(include_wisps))
        return [WorkItem.from_row(r) for r in rows]

    def set_status(
        self,
        work_id: str,
        status: str,
        by: str | None = None,
        *,
        agent: str | None = None,
        force: bool = False,
    ) -> WorkItem:
        """Move the work item and the hooks holding it. When an `agent` asks, the hooks of
        other identities move only with `force` (recorded as `hook.forced`)."""
        with self.ctx.store.transaction() as tx:
            if agent is not None:
                for hook in holders_in(self.ctx, tx, work_id):
                    if hook.unfinished:
                        self.ctx.hooks.authorize_in(
                            tx, hook.role, hook.name, agent, force, "update the work of", work_id
                        )
            return self.set_status_in(tx, work_id, status, by=by)

    def set_status_in(
        self,
        tx: Tx,
        work_id: str,
        status: str,
        by: str | None = None,
        reason: str | None = None,
    ) -> WorkItem:
        """Move the work item, and the hooks holding it with it (core.agreement)."""
        new = parse_status(status)
        item = self.get_in(tx, work_id)
        if item.status == new:
            return item
        self.write_status_in(tx, work_id, new, by=by, reason=reason)
        hooks_follow_work_in(self.ctx, tx, work_id, by)
        return self.get_in(tx, work_id)

    def write_status_in(
        self,
        tx: Tx,
        work_id: str,
        new: WorkStatus,
        by: str | None = None,
        reason: str | None = None,
    ) -> None:
        """The work item alone: callers keep its hooks agreeing (see core.agreement)."""
        item = self.get_in(tx, work_id)
        check_transition(WORK_TRANSITIONS, f"work item {work_id}", item.status, new)
        if not tx.run("work_set_status", id=work_id, status=str(new), old_status=str(item.status)):
            raise OperationFailed(f"work item {work_id} changed meanwhile", "try again")
        tx.emit(
            "work.status",
            work_id,
            {"old": str(item.status), "new": str(new), "by": by, "reason": reason},
        )

    def purge_wisps(self) -> builtins.list[str]:
        """Delete expired wisps that no hook holds; returns their ids."""
        with self.ctx.store.transaction() as tx:
            purged = []
            for row in tx.all("work_expired_wisps"):
                holders = tx.all("hooks_for_work", work_id=row["id"])
                if any(h["phase"] in UNFINISHED_PHASES for h in holders):
                    continue
                tx.run("work_delete", id=row["id"])
                tx.emit("work.purged", row["id"], {"title": row["title"], "wisp": True})
                purged.append(row["id"])
            return purged
