"""Landing a tested candidate, and finishing what a dead processor left behind.

The target moves only by compare-and-swap from the tip the candidate was built on to the
exact tested commit. A request counts as landed exactly when its candidate is an ancestor
of the target, which makes landing idempotent and crash recovery a read of git.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bosun.gitops.branches import (
    cas_update_ref,
    catch_up_checkouts,
    delete_branch_if_contained,
    sync_checkouts,
)
from bosun.gitops.git import Git
from bosun.mergequeue.checkouts import record_syncs
from bosun.mergequeue.outcomes import load, requeue, settle_merged
from bosun.mergequeue.records import MergeRequest, RequestStatus

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.mergequeue.scratch import Link

CRASH_ENV = "BOSUN_MERGE_QUEUE_CRASH_AT"
CRASH_POINTS = ("claimed", "built", "gated", "landed", "settled")


def crash_point(step: str) -> None:
    """Fault injection for the crash tests: SIGKILL this process right after `step` when
    BOSUN_MERGE_QUEUE_CRASH_AT names it. Never set outside tests."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def land(
    ctx: Context, repo: Git, target: str, old: str, links: Sequence[Link], data: dict[str, Any]
) -> bool:
    """Move `target` from `old` to the last link's candidate and settle the links as merged.
    False (nothing changed) when the target no longer points at `old`."""
    new = links[-1].commit
    tested_tree = repo.tree(new)
    if not cas_update_ref(repo, f"refs/heads/{target}", new, old):
        return False
    crash_point("landed")
    problems = record_syncs(ctx, target, sync_checkouts(repo, target, old, new))
    pushed = push(ctx, repo, target, new)
    tip = repo.rev(f"refs/heads/{target}") or ""
    target_tree = repo.tree(tip) if tip else ""
    check = {
        "tested_commit": new,
        "tested_tree": tested_tree,
        "target_tip": tip,
        "target_tree": target_tree,
        "tree_check": "ok" if target_tree == tested_tree else "mismatch",
    }
    with ctx.store.transaction() as tx:
        for link in links:
            request = load(tx, link.request.id)
            if request is None or request.status != RequestStatus.TESTING:
                continue
            settle_merged(
                ctx,
                tx,
                request,
                new,
                {
                    **data,
                    **check,
                    "push": pushed,
                    "checkout_problems": problems,
                    "request_commit": link.commit,
                },
            )
        tx.emit(
            "merge.batch_landed",
            target,
            {
                **data,
                **check,
                "requests": [link.request.id for link in links],
                "from": old,
                "push": pushed,
            },
        )
    crash_point("settled")
    clean_branches(ctx, repo, target, [(link.request, link.head) for link in links])
    return True


def push(ctx: Context, repo: Git, target: str, commit: str) -> str | None:
    remote = ctx.config.optional_text("merge_queue.remote") or ""
    if not remote:
        return None
    result = repo.try_run("push", "--porcelain", remote, f"{commit}:refs/heads/{target}")
    if result.ok:
        return f"pushed to {remote}"
    lines = (result.stderr or result.stdout).strip().splitlines()
    with ctx.store.transaction() as tx:
        tx.emit(
            "merge.push_failed",
            target,
            {"remote": remote, "commit": commit, "error": lines[-1] if lines else "push failed"},
        )
    return f"push to {remote} failed: {lines[-1] if lines else 'unknown error'}"


def clean_branches(
    ctx: Context, repo: Git, target: str, landed: Sequence[tuple[MergeRequest, str]]
) -> None:
    """Delete landed source branches (when configured) once proven contained."""
    if not ctx.config.flag("merge_queue.delete_source_branch"):
        return
    outcomes = {
        request.branch: delete_branch_if_contained(repo, request.branch, head, target)
        for request, head in landed
    }
    with ctx.store.transaction() as tx:
        for request, _ in landed:
            tx.emit(
                "merge.source_branch",
                request.id,
                {"branch": request.branch, "outcome": outcomes[request.branch]},
            )


def recover(ctx: Context, repo: Git, target: str) -> list[MergeRequest]:
    """Settle `testing` requests a dead processor left: landed when their candidate is in
    the target (the CAS happened), otherwise queued again (nothing landed)."""
    tip = repo.rev(f"refs/heads/{target}")
    with ctx.store.transaction(write=False) as tx:
        stuck = [
            MergeRequest.from_row(r)
            for r in tx.all("mq_in_status", target=target, status="testing", limit=10_000)
        ]
    if not stuck:
        return []
    landed = {
        r.id
        for r in stuck
        if r.candidate and tip and repo.rev(r.candidate) and repo.is_ancestor(r.candidate, tip)
    }
    tree = repo.tree(tip) if tip else ""
    done: list[MergeRequest] = []
    with ctx.store.transaction() as tx:
        for request in stuck:
            current = load(tx, request.id)
            if current is None or current.status != RequestStatus.TESTING:
                continue
            if request.id in landed:
                assert request.candidate is not None
                done.append(
                    settle_merged(
                        ctx,
                        tx,
                        current,
                        request.candidate,
                        {
                            "recovered": True,
                            "reason": "landed (finished after a processor stopped)",
                            "tested_commit": request.candidate,
                            "target_tip": tip,
                            "target_tree": tree,
                            "tree_check": "contained",
                        },
                    )
                )
            else:
                done.append(
                    requeue(tx, current, "queued again: the processor stopped before landing it")
                )
    if landed:
        known = [c for r in stuck for c in (r.base, r.candidate) if c]
        record_syncs(ctx, target, catch_up_checkouts(repo, target, known))
    clean_branches(
        ctx, repo, target, [(r, r.head or "") for r in done if r.status == RequestStatus.MERGED]
    )
    return done


def record_chain(
    ctx: Context, target: str, links: Sequence[Link], base: str, batch_id: str
) -> None:
    """Write each link's candidate before any gate runs: what recovery reads."""
    with ctx.store.transaction() as tx:
        for link in links:
            request = load(tx, link.request.id)
            if request is None or request.status != RequestStatus.TESTING:
                continue
            updated = replace(request, head=link.head, base=base, candidate=link.commit)
            tx.run("mq_update", id=request.id, old_status="testing", **updated.columns())
        tx.emit(
            "merge.built",
            target,
            {
                "batch": batch_id,
                "base": base,
                "chain": [[lk.request.id, lk.commit] for lk in links],
            },
        )
