"""The review step (`merge_queue.require_approval`): a request waits in `awaiting_approval`
until a person approves it (`bosun mr approve`), which pins the commit they saw — exactly
that commit lands — or rejects it with a reason, which hands the work back to its owner.
`diff` shows what would land: `git diff TARGET...COMMIT`, the change since the fork point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bosun.base.errors import IllegalTransition, InvalidInput, NotFound
from bosun.mergequeue.outcomes import load, settle_rejected, transition
from bosun.mergequeue.queue import MergeQueue, ensure_queue_identity, repo_git
from bosun.mergequeue.records import MergeRequest, RequestStatus

if TYPE_CHECKING:
    from bosun.core.context import Context

R = RequestStatus
DIFF_LIMIT = 400_000  # characters of patch text; the rest is cut with a note


def approve(ctx: Context, request_id: str, by: str, commit: str | None = None) -> MergeRequest:
    """Queue an awaiting request, pinned to its branch's tip now (or refuse when `commit`
    is given and is not that tip). The `merge.approved` event names who approved."""
    git = repo_git(ctx)
    request = _awaiting(MergeQueue(ctx).get(request_id), "approved")
    if request.identity and by == request.identity:
        raise InvalidInput(
            f"{by} cannot approve its own merge request {request.id}",
            "a person or another identity reviews it (run without BOSUN_IDENTITY)",
        )
    head = git.rev(f"refs/heads/{request.branch}")
    if head is None:
        raise NotFound(
            f"branch {request.branch!r} of {request.id} no longer exists",
            f"reject it instead: `bosun mr reject {request.id} --reason …`",
        )
    if commit is not None and git.rev(commit) != head:
        raise InvalidInput(
            f"{commit} is not the tip of {request.branch} (it is {head[:12]})",
            f"look at `bosun mr diff {request.id}` again, then approve what you reviewed",
        )
    with ctx.store.transaction() as tx:
        current = load(tx, request.id)
        assert current is not None
        current = _awaiting(current, "approved")
        approval = {"by": by, "head": head, "at": tx.now}
        return transition(
            tx,
            current,
            R.QUEUED,
            "merge.approved",
            {"by": by, "head": head},
            reason=f"approved by {by}",
            head=head,
            detail={**current.detail, "approval": approval},
        )


def reject(ctx: Context, request_id: str, by: str, reason: str) -> MergeRequest:
    """Refuse an awaiting request: it becomes `rejected` and its owner gets the work back."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("a rejection needs a reason", "say what to change: --reason '…'")
    _awaiting(MergeQueue(ctx).get(request_id), "rejected")
    ensure_queue_identity(ctx)  # the owner's MERGE_FAILED comes from the queue
    with ctx.store.transaction() as tx:
        current = load(tx, request_id)
        assert current is not None
        return settle_rejected(ctx, tx, _awaiting(current, "rejected"), reason, by)


def diff(ctx: Context, request_id: str, *, stat: bool = False) -> dict[str, Any]:
    """What would land: the approved commit (else the branch tip) against the target, from
    their merge base (`git diff TARGET...COMMIT`); `stat` gives only the summary."""
    git = repo_git(ctx)
    request = MergeQueue(ctx).get(request_id)
    head = request.approved_head or git.rev(f"refs/heads/{request.branch}")
    if head is None:
        raise NotFound(
            f"branch {request.branch!r} of {request.id} no longer exists",
            "there is nothing left to show; see `bosun merge-queue show ID`",
        )
    target_tip = git.rev(f"refs/heads/{request.target}")
    if target_tip is None:
        raise NotFound(
            f"target branch {request.target!r} of {request.id} no longer exists",
            "there is nothing to compare with; see `bosun merge-queue show ID`",
        )
    shape = ("--stat",) if stat else ("--stat", "--patch")
    text = git.run("diff", *shape, f"{target_tip}...{head}")
    if len(text) > DIFF_LIMIT:
        text = text[:DIFF_LIMIT] + "\n… (cut: see `git diff` for the rest)"
    return {
        "id": request.id,
        "status": str(request.status),
        "branch": request.branch,
        "target": request.target,
        "head": head,
        "target_tip": target_tip,
        "stat": stat,
        "diff": text,
    }


def awaiting_attention(ctx: Context) -> list[str]:
    """One line per request awaiting approval, with how to review and approve it."""
    return [
        f"merge request {r.id} ({r.branch} → {r.target}"
        + (f", from {r.identity}" if r.identity else "")
        + f") awaits approval — review it with `bosun mr diff {r.id}`, then "
        f"`bosun mr approve {r.id}` or `bosun mr reject {r.id} --reason …`"
        for r in MergeQueue(ctx).list()
        if r.status == R.AWAITING_APPROVAL
    ]


def _awaiting(request: MergeRequest, verb: str) -> MergeRequest:
    if request.status != R.AWAITING_APPROVAL:
        raise IllegalTransition(
            f"merge request {request.id} is {request.status}, not awaiting approval",
            f"only a request in awaiting_approval can be {verb}; see `bosun mr list`",
        )
    return request
