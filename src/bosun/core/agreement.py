"""A work item and the hooks that hold it agree: one place moves both, in one transaction.

Either side may move first. When a hook moves (pin, phase, release), the work item follows
the holder furthest along (`work_follows_hooks_in`); when the work item moves
(`bosun work update`, the merge queue), its hooks follow it (`hooks_follow_work_in`). A move
the other side cannot follow along legal transitions is refused, and nothing changes.

Several hooks may hold one work item (a pipeline node's runner and its orchestrator): the
item agrees with the *lead*, the holder furthest along that is not blocked. A hook that is
behind never pulls the item back; a blocked hook accepts any status of unfinished work.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from bosun.base.errors import IllegalTransition
from bosun.core.records import (
    PHASE_TRANSITIONS,
    UNFINISHED_PHASES,
    WORK_TRANSITIONS,
    Hook,
    Phase,
    WorkStatus,
    transition_path,
)

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx

P, W = Phase, WorkStatus

# How far along the main line a phase is; the lead holder has the highest rank.
RANK = {
    P.ASSIGNED: 0,
    P.EXECUTING: 1,
    P.IMPL_COMPLETE: 2,
    P.VALIDATING: 3,
    P.MERGE_READY: 4,
    P.MERGED: 5,
}
# The statuses a work item may have while its lead holder is in a phase; the work item is
# moved to the first one when it has none of them.
STATUSES_FOR_PHASE: dict[Phase, tuple[WorkStatus, ...]] = {
    P.ASSIGNED: (W.IN_PROGRESS, W.MERGE_CONFLICT),
    P.EXECUTING: (W.IN_PROGRESS, W.MERGE_CONFLICT),  # merge_conflict: resolving it
    P.IMPL_COMPLETE: (W.IMPL_COMPLETE,),
    P.VALIDATING: (W.IMPL_COMPLETE,),
    P.MERGE_READY: (W.MERGE_READY,),
    P.MERGED: (W.MERGED, W.CLOSED),
}
# Work somebody still has to do: what a work item held only by blocked hooks may be.
UNFINISHED_WORK = frozenset({W.IN_PROGRESS, W.IMPL_COMPLETE, W.MERGE_READY, W.MERGE_CONFLICT})
# Where a work item's status puts the hooks holding it.
PHASE_FOR_STATUS: dict[WorkStatus, Phase] = {
    W.OPEN: P.RELEASED,  # nobody's any more: ready for the next taker
    W.REJECTED: P.RELEASED,
    W.IN_PROGRESS: P.EXECUTING,
    W.MERGE_CONFLICT: P.EXECUTING,  # handed back to resolve the conflict
    W.IMPL_COMPLETE: P.IMPL_COMPLETE,
    W.MERGE_READY: P.MERGE_READY,
    W.MERGED: P.MERGED,
    W.CLOSED: P.MERGED,
}
# Work that nobody holds any more goes back to open (and to `bosun work ready`) from here;
# implemented, queued or conflicting work keeps its status for whoever picks it up.
UNHELD_REOPENS = frozenset({W.IN_PROGRESS})
# Work that can no longer be pinned.
FINISHED_WORK = frozenset({W.MERGED, W.CLOSED, W.REJECTED})

# Walks pass through the main line only, never through a side state on the way.
_HOOK_DETOURS = frozenset({P.BLOCKED, P.RELEASED})
_WORK_DETOURS = frozenset({W.OPEN, W.REJECTED, W.CLOSED})


def lead_phase(phases: Iterable[Phase]) -> Phase | None:
    """The phase of the holder furthest along; None when every holder is blocked (or none
    holds the item). Released hooks hold nothing."""
    ranked = [p for p in phases if p in RANK]
    return max(ranked, key=RANK.__getitem__) if ranked else None


def allowed_statuses(phases: Iterable[Phase]) -> frozenset[WorkStatus] | None:
    """What a work item held by hooks in `phases` may be; None when nothing holds it."""
    holding = [p for p in phases if p != P.RELEASED]
    if not holding:
        return None
    lead = lead_phase(holding)
    return UNFINISHED_WORK if lead is None else frozenset(STATUSES_FOR_PHASE[lead])


def agrees(status: WorkStatus, phases: Iterable[Phase]) -> bool:
    """True when a work item with `status` agrees with the hooks (in `phases`) holding it."""
    allowed = allowed_statuses(phases)
    return allowed is None or status in allowed


def holders_in(ctx: Context, tx: Tx, work_id: str) -> list[Hook]:
    """The hooks that hold `work_id` (any phase but released)."""
    return [
        hook
        for hook in (Hook.from_row(r) for r in tx.all("hooks_for_work", work_id=work_id))
        if hook.phase != P.RELEASED
    ]


def work_follows_hooks_in(ctx: Context, tx: Tx, work_id: str, by: str | None) -> None:
    """After a hook moved: walk the work item to agree with its holders (or refuse)."""
    item = ctx.work.get_in(tx, work_id)
    hooks = holders_in(ctx, tx, work_id)
    if not hooks:
        if item.status in UNHELD_REOPENS:
            _walk_work(ctx, tx, work_id, item.status, W.OPEN, by, "no hook holds it any more")
        return
    phases = [h.phase for h in hooks]
    lead = lead_phase(phases)
    if lead is None or agrees(item.status, phases):
        return
    goal = STATUSES_FOR_PHASE[lead][0]
    _walk_work(ctx, tx, work_id, item.status, goal, by, f"a hook holding it is now {lead}")
    if goal == W.MERGED:
        hooks_follow_work_in(ctx, tx, work_id, by)  # the work is done for every holder


def hooks_follow_work_in(ctx: Context, tx: Tx, work_id: str, by: str | None) -> None:
    """After the work item moved: walk the hooks holding it to agree with it (or refuse)."""
    item = ctx.work.get_in(tx, work_id)
    target = PHASE_FOR_STATUS[item.status]
    reason = f"work item {work_id} is now {item.status}"
    unfinished = [h for h in holders_in(ctx, tx, work_id) if h.phase in UNFINISHED_PHASES]
    if target in (P.RELEASED, P.MERGED):
        for hook in unfinished:  # nothing left to do on it, for any holder
            _walk_hook(ctx, tx, hook, target, by, reason)
        return
    for hook in unfinished:  # a hook ahead of the work item comes back to it
        if hook.phase in RANK and RANK[hook.phase] > RANK[target]:
            _walk_hook(ctx, tx, hook, target, by, reason)
    hooks = holders_in(ctx, tx, work_id)
    if agrees(item.status, [h.phase for h in hooks]):
        return
    lead = max((h for h in hooks if h.phase in RANK), key=lambda h: RANK[h.phase])
    _walk_hook(ctx, tx, lead, target, by, reason)


def _walk_work(
    ctx: Context,
    tx: Tx,
    work_id: str,
    start: WorkStatus,
    goal: WorkStatus,
    by: str | None,
    reason: str,
) -> None:
    path = transition_path(WORK_TRANSITIONS, start, goal, _WORK_DETOURS)
    if path is None:
        raise IllegalTransition(
            f"work item {work_id} is {start} and cannot follow its hook to {goal}",
            "move the work item first (`bosun work update`), or release the hook",
        )
    for status in path:
        ctx.work.write_status_in(tx, work_id, status, by=by, reason=reason)


def _walk_hook(
    ctx: Context, tx: Tx, hook: Hook, goal: Phase, by: str | None, reason: str
) -> None:
    path = transition_path(PHASE_TRANSITIONS, hook.phase, goal, _HOOK_DETOURS)
    if path is None:
        raise IllegalTransition(
            f"the hook of {hook.role}/{hook.name} is {hook.phase} and cannot follow its work "
            f"item to {goal}",
            f"move the hook first (`bosun hook update-phase {hook.role} {hook.name} …`)",
        )
    for phase in path:
        ctx.hooks.move_in(tx, hook.role, hook.name, phase, by=by, reason=reason)


def disagreements(ctx: Context, only: Collection[str] | None = None) -> list[str]:
    """Every work item (of `only`, or all) that disagrees with the hooks holding it, and
    every wrong `work ready` answer; [] when all agree. What the property tests check."""
    problems = []
    with ctx.store.transaction(write=False) as tx:
        items = {
            w.id: w
            for w in ctx.work.list_in(tx, include_wisps=True)
            if only is None or w.id in only
        }
        for item in items.values():
            phases = [h.phase for h in holders_in(ctx, tx, item.id)]
            if not agrees(item.status, phases):
                problems.append(
                    f"work item {item.id} is {item.status} while its hooks are "
                    + ", ".join(str(p) for p in phases)
                )
            if item.status == W.OPEN and any(p in UNFINISHED_PHASES for p in phases):
                problems.append(f"open work item {item.id} is held by an unfinished hook")
        ready = {w.id for w in ctx.work.ready_in(tx, include_wisps=True) if w.id in items}
    expected = {i for i, w in items.items() if w.status == W.OPEN}
    if ready != expected:
        problems.append(
            f"work ready lists {sorted(ready)} but the open work items are {sorted(expected)}"
        )
    return problems
