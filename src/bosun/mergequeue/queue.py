"""The merge queue's requests: enqueue (idempotent per branch), list, show, cancel, retry."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from bosun.base.errors import (
    Conflict,
    InvalidInput,
    NotAProject,
    NotFound,
    OperationFailed,
)
from bosun.base.ids import short_id
from bosun.base.names import split_identity
from bosun.core.records import WorkStatus
from bosun.gitops.branches import local_branch, main_branch
from bosun.gitops.git import Git, is_repository
from bosun.mergequeue.outcomes import load, transition, walk_work
from bosun.mergequeue.records import (
    ACTIVE,
    QUEUE_IDENTITY,
    MergeRequest,
    RequestStatus,
)

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx

R = RequestStatus


def repo_git(ctx: Context) -> Git:
    """The project's repository; NotAProject outside git."""
    if ctx.paths is None or not is_repository(ctx.paths.root):
        where = ctx.paths.root if ctx.paths else "this context"
        raise NotAProject(
            f"{where} is not a git repository",
            "the merge queue needs the project to be a git repository",
        )
    return Git(ctx.paths.root)


def ensure_queue_identity(ctx: Context) -> None:
    """The queue signals as `refinery/merge-queue`; created (as crew) on first use."""
    role, name = split_identity(QUEUE_IDENTITY)
    if ctx.identities.find(role, name) is None:
        ctx.identities.create(role, name, crew=True, runtime="builtin")


class MergeQueue:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def enqueue(
        self,
        branch: str,
        *,
        work_id: str | None = None,
        identity: str | None = None,
        target: str | None = None,
        by: str | None = None,
    ) -> tuple[MergeRequest, bool]:
        """Queue `branch` for `target`; the same branch again returns the active request.
        Under `merge_queue.require_approval` the request waits in `awaiting_approval`.
        Returns (request, created)."""
        git = repo_git(self.ctx)
        target = target or main_branch(git, self.ctx.config)
        local_branch(git, target, "target branch")
        head = local_branch(git, branch)
        if branch == target:
            raise InvalidInput(f"cannot merge {branch} into itself", "give another branch")
        if identity is not None:
            self.ctx.identities.get(*split_identity(identity))
        status = self._first_status()
        with self.ctx.store.transaction() as tx:
            if work_id is not None:
                self.ctx.work.get_in(tx, work_id)
            elif identity is not None:
                hook = self.ctx.hooks.find_in(tx, *split_identity(identity))
                work_id = hook.work_id if hook and hook.unfinished else None
            row = tx.one("mq_active_for_branch", branch=branch, target=target)
            if row is not None:
                return MergeRequest.from_row(row), False
            for _ in range(20):
                request_id = short_id("mr", 3)
                if tx.run(
                    "mq_insert",
                    id=request_id,
                    branch=branch,
                    target=target,
                    identity=identity,
                    work_id=work_id,
                    head=head,
                    enqueued_by=by,
                    status=str(status),
                ):
                    break
                row = tx.one("mq_active_for_branch", branch=branch, target=target)
                if row is not None:  # a concurrent enqueue of the same branch won
                    return MergeRequest.from_row(row), False
            else:  # pragma: no cover - 20 id clashes in a row
                raise OperationFailed("could not allocate a merge request id", "try again")
            request = load(tx, request_id)
            assert request is not None
            note = walk_work(self.ctx, tx, work_id, WorkStatus.MERGE_READY, "enqueued")
            tx.emit(
                "merge.enqueued",
                request_id,
                {
                    "branch": branch,
                    "target": target,
                    "identity": identity,
                    "work_id": work_id,
                    "head": head,
                    "by": by,
                    "status": str(status),
                    "note": note,
                },
            )
            return request, True

    def _first_status(self) -> RequestStatus:
        """Where a new or retried request starts: held for review, or straight in line."""
        if self.ctx.config.flag("merge_queue.require_approval"):
            return R.AWAITING_APPROVAL
        return R.QUEUED

    def get(self, request_id: str) -> MergeRequest:
        with self.ctx.store.transaction(write=False) as tx:
            request = load(tx, request_id)
        if request is None:
            raise NotFound(
                f"no merge request {request_id!r}", "list them with `bosun merge-queue list --all`"
            )
        return request

    def list(
        self, *, include_finished: bool = False, target: str | None = None
    ) -> list[MergeRequest]:
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.all("mq_list", all=int(include_finished), target=target)
        return [MergeRequest.from_row(r) for r in rows]

    def pending_targets(self) -> builtins.list[str]:
        with self.ctx.store.transaction(write=False) as tx:
            return [r["target"] for r in tx.all("mq_pending_targets")]

    def cancel(self, request_id: str, by: str | None = None) -> MergeRequest:
        with self.ctx.store.transaction() as tx:
            request = self._get_in(tx, request_id)
            if request.status == R.CANCELLED:
                return request
            if request.status == R.TESTING:
                raise Conflict(
                    f"merge request {request_id} is being tested",
                    "wait for it to settle; a tested request lands or fails",
                )
            who = by or "a user"
            return transition(
                tx,
                request,
                R.CANCELLED,
                "merge.cancelled",
                {"by": by},
                reason=f"cancelled by {who}",
            )

    def retry(self, request_id: str, by: str | None = None) -> MergeRequest:
        """Queue a conflicted, failed, cancelled or rejected request again (the branch may
        have moved); under `require_approval` it waits for a new approval."""
        git = repo_git(self.ctx)
        request = self.get(request_id)
        head = git.rev(f"refs/heads/{request.branch}")
        if request.status in ACTIVE:
            return request
        if head is None:
            raise NotFound(
                f"branch {request.branch!r} of {request_id} no longer exists",
                "enqueue the branch again once it exists",
            )
        with self.ctx.store.transaction() as tx:
            request = self._get_in(tx, request_id)
            if tx.one("mq_active_for_branch", branch=request.branch, target=request.target):
                raise Conflict(
                    f"{request.branch} is already queued for {request.target}",
                    "see `bosun merge-queue list`",
                )
            walk_work(self.ctx, tx, request.work_id, WorkStatus.MERGE_READY, "retried")
            return transition(
                tx,
                request,
                self._first_status(),
                "merge.retried",
                {"by": by},
                reason=f"retried by {by or 'a user'}",
                head=head,
                batch_id=None,
                candidate=None,
                base=None,
                landed=None,
                detail={k: v for k, v in request.detail.items() if k != "approval"},
            )

    def _get_in(self, tx: Tx, request_id: str) -> MergeRequest:
        request = load(tx, request_id)
        if request is None:
            raise NotFound(
                f"no merge request {request_id!r}", "list them with `bosun merge-queue list --all`"
            )
        return request
