"""What settling a request does inside one transaction: its own status and event, and the
owner's work item, hook and signal — so a state change and its effects commit together."""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bosun.base.errors import BosunError, Conflict
from bosun.base.names import split_identity
from bosun.core.records import PHASE_TRANSITIONS, WORK_TRANSITIONS, Phase, WorkStatus
from bosun.mergequeue.records import (
    FINISHED,
    QUEUE_IDENTITY,
    MergeRequest,
    RequestStatus,
    check_request_transition,
)

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx

R = RequestStatus


def load(tx: Tx, request_id: str) -> MergeRequest | None:
    row = tx.one("mq_get", id=request_id)
    return MergeRequest.from_row(row) if row else None


def transition(
    tx: Tx,
    request: MergeRequest,
    new: RequestStatus,
    event: str,
    data: dict[str, Any] | None = None,
    **changes: Any,
) -> MergeRequest:
    """Move `request` to `new` (validated, compare-and-set on its status) and emit `event`."""
    check_request_transition(request.id, request.status, new)
    updated = replace(
        request,
        status=new,
        updated_at=tx.now,
        finished_at=tx.now if new in FINISHED else None,
        **changes,
    )
    if not tx.run("mq_update", id=request.id, old_status=str(request.status), **updated.columns()):
        raise Conflict(f"merge request {request.id} changed meanwhile", "look at it again")
    tx.emit(
        event,
        request.id,
        {
            "branch": request.branch,
            "target": request.target,
            "old": str(request.status),
            "new": str(new),
            "reason": updated.reason,
            **(data or {}),
        },
    )
    return updated


def shortest_path(table: dict[Any, frozenset[Any]], start: Any, goal: Any) -> list[Any] | None:
    """The shortest legal walk from `start` to `goal` (excluding `start`), or None."""
    seen = {start}
    queue: deque[tuple[Any, list[Any]]] = deque([(start, [])])
    while queue:
        state, path = queue.popleft()
        if state == goal:
            return list(path)
        for nxt in sorted(table[state], key=str):
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, [*path, nxt]))
    return None


def walk_work(
    ctx: Context, tx: Tx, work_id: str | None, goal: WorkStatus, reason: str
) -> str | None:
    """Move a work item to `goal` along legal transitions; a note when it cannot."""
    if not work_id:
        return None
    try:
        item = ctx.work.get_in(tx, work_id)
        path = shortest_path(WORK_TRANSITIONS, item.status, goal)
        if path is None:
            return f"work item {work_id} stays {item.status} (cannot reach {goal})"
        for status in path:
            ctx.work.set_status_in(tx, work_id, str(status), by=QUEUE_IDENTITY, reason=reason)
    except BosunError as exc:
        return f"work item {work_id}: {exc.message}"
    return None


def _owner_hook(ctx: Context, tx: Tx, request: MergeRequest) -> tuple[str, str] | str:
    """(role, name) of the owner when its hook holds this request's work; else a note."""
    if not request.identity:
        return "no owning identity"
    role, name = split_identity(request.identity)
    if not ctx.identities.exists_in(tx, role, name):
        return f"owner {request.identity} no longer exists"
    hook = ctx.hooks.find_in(tx, role, name)
    if hook is None or (request.work_id and hook.work_id != request.work_id):
        return f"{request.identity}'s hook does not hold {request.work_id or 'this work'}"
    return role, name


def _walk_hook(ctx: Context, tx: Tx, role: str, name: str, goal: Phase) -> str | None:
    hook = ctx.hooks.get_in(tx, role, name)
    path = shortest_path(PHASE_TRANSITIONS, hook.phase, goal)
    if path is None:
        return f"hook of {role}/{name} stays {hook.phase} (cannot reach {goal})"
    for phase in path:
        ctx.hooks.update_phase_in(tx, role, name, phase)
    return None


def _notify(
    ctx: Context, tx: Tx, request: MergeRequest, kind: str, payload: dict[str, Any]
) -> str | None:
    if not request.identity:
        return None
    role, name = split_identity(request.identity)
    if not ctx.identities.exists_in(tx, role, name):
        return f"owner {request.identity} no longer exists; {kind} not sent"
    ctx.signals.send_in(tx, request.identity, kind, payload, sender=QUEUE_IDENTITY)
    return None


def _send_back(
    ctx: Context, tx: Tx, request: MergeRequest, reason: str, **extra: Any
) -> str | None:
    """MERGE_FAILED to the request's owner: what, where and why, plus `extra`."""
    payload = {
        "request": request.id,
        "branch": request.branch,
        "target": request.target,
        "reason": reason,
        **extra,
        "work_id": request.work_id,
    }
    return _notify(ctx, tx, request, "MERGE_FAILED", payload)


def _notes(*items: str | None) -> list[str]:
    return [i for i in items if i]


def settle_merged(
    ctx: Context, tx: Tx, request: MergeRequest, landed: str, data: dict[str, Any]
) -> MergeRequest:
    owner = _owner_hook(ctx, tx, request)
    notes = [owner] if isinstance(owner, str) else _notes(_walk_hook(ctx, tx, *owner, Phase.MERGED))
    notes += _notes(walk_work(ctx, tx, request.work_id, WorkStatus.MERGED, "landed"))
    notes += _notes(
        _notify(
            ctx,
            tx,
            request,
            "MERGE_COMPLETE",
            {
                "request": request.id,
                "branch": request.branch,
                "target": request.target,
                "commit": landed,
                "work_id": request.work_id,
            },
        )
    )
    return transition(
        tx,
        request,
        R.MERGED,
        "merge.landed",
        {**data, "notes": notes},
        landed=landed,
        reason=data.get("reason", "landed"),
    )


def conflict_instructions(request: MergeRequest, files: list[str]) -> str:
    listed = "\n".join(f"  - {f}" for f in files) or "  (git named no files)"
    return (
        f"Your branch {request.branch} could not be rebased onto {request.target} by the merge "
        f"queue (request {request.id}). Conflicting files:\n{listed}\n"
        f"Rebase {request.branch} onto {request.target}, resolve the conflicts in those files, "
        "run the tests, commit, then signal MERGE_READY again "
        f"(`bosun signal send {QUEUE_IDENTITY} MERGE_READY`)."
    )


def failure_instructions(request: MergeRequest, reason: str, tail: str) -> str:
    shown = "\n".join(tail.splitlines()[-15:])
    return (
        f"The merge queue did not land {request.branch} (request {request.id}): {reason}.\n"
        f"Last lines of the gate output:\n{shown}\n"
        "Fix the cause on your branch, commit, then signal MERGE_READY again "
        f"(`bosun signal send {QUEUE_IDENTITY} MERGE_READY`)."
    )


def _hand_back(ctx: Context, tx: Tx, request: MergeRequest, text: str) -> list[str]:
    owner = _owner_hook(ctx, tx, request)
    if isinstance(owner, str):
        return [owner]
    notes = _notes(_walk_hook(ctx, tx, *owner, Phase.EXECUTING))
    ctx.hooks.update_resumption_in(tx, *owner, text)
    return notes


def settle_conflict(ctx: Context, tx: Tx, request: MergeRequest, files: list[str]) -> MergeRequest:
    reason = "conflict in " + (", ".join(files) if files else "the rebase")
    # the work item first: the hooks holding it follow it back to executing (core.agreement)
    notes = _notes(walk_work(ctx, tx, request.work_id, WorkStatus.MERGE_CONFLICT, reason))
    notes += _hand_back(ctx, tx, request, conflict_instructions(request, files))
    notes += _notes(_send_back(ctx, tx, request, "conflict", files=files))
    detail = {**request.detail, "files": files}
    return transition(
        tx,
        request,
        R.CONFLICT,
        "merge.conflict",
        {"files": files, "notes": notes},
        reason=reason,
        detail=detail,
    )


def settle_failed(
    ctx: Context, tx: Tx, request: MergeRequest, reason: str, detail: dict[str, Any]
) -> MergeRequest:
    tail = str(detail.get("tail", ""))
    notes = _notes(walk_work(ctx, tx, request.work_id, WorkStatus.IN_PROGRESS, reason))
    notes += _hand_back(ctx, tx, request, failure_instructions(request, reason, tail))
    notes += _notes(_send_back(ctx, tx, request, reason, tail=tail[-2000:]))
    return transition(
        tx,
        request,
        R.FAILED,
        "merge.failed",
        {**detail, "notes": notes},
        reason=reason,
        detail={**request.detail, **detail},
    )


def requeue(tx: Tx, request: MergeRequest, reason: str) -> MergeRequest:
    return transition(
        tx,
        request,
        R.QUEUED,
        "merge.requeued",
        reason=reason,
        batch_id=None,
        candidate=None,
        base=None,
    )


def rejection_instructions(request: MergeRequest, reason: str, by: str) -> str:
    return (
        f"A reviewer ({by}) did not approve {request.branch} for {request.target} "
        f"(merge request {request.id}): {reason}\n"
        "Address the review on your branch, commit, then signal MERGE_READY again "
        f"(`bosun signal send {QUEUE_IDENTITY} MERGE_READY`)."
    )


def settle_rejected(
    ctx: Context, tx: Tx, request: MergeRequest, reason: str, by: str
) -> MergeRequest:
    """A reviewer said no: the work goes back to its owner with the reason, like a red gate."""
    notes = _hand_back(ctx, tx, request, rejection_instructions(request, reason, by))
    notes += _notes(walk_work(ctx, tx, request.work_id, WorkStatus.IN_PROGRESS, "rejected"))
    notes += _notes(_send_back(ctx, tx, request, f"rejected: {reason}", by=by))
    return transition(
        tx,
        request,
        R.REJECTED,
        "merge.rejected",
        {"by": by, "notes": notes},
        reason=f"rejected by {by}: {reason}",
        detail={**request.detail, "rejection": {"by": by, "reason": reason}},
    )
