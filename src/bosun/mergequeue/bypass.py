"""Commits that reached the target branch without the merge queue.

The queue watches its target: every commit that appears on it is either one the queue
landed (inside `base..landed` of a merged request) or a direct commit. A direct commit is
attributed to the agent whose worktree made it (the commit is in that worktree's HEAD
reflog) and reported: a `merge.direct_commit` event about the agent and an ESCALATION to
the operator. A commit no agent worktree made (a person committing on the target) is
recorded as an event only.

What the queue has accounted for is the target tip of the latest `merge.target_watched`
event; the first watch only records the tip (nothing before it is judged).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.errors import BosunError
from bosun.base.names import split_identity
from bosun.gitops.git import Git
from bosun.mergequeue.records import QUEUE_IDENTITY, MergeRequest

if TYPE_CHECKING:
    from bosun.core.context import Context

OPERATOR = "bosun/operator"  # where escalations go (the supervisor's address for people)
MAX_SCAN = 500  # commits judged per watch; a larger jump is judged in part and said so
WATCHED = "merge.target_watched"


@dataclass(frozen=True)
class DirectCommit:
    commit: str
    subject: str
    author: str
    identity: str | None  # the agent whose worktree made it; None: not an agent's
    worktree: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def watch_target(ctx: Context, repo: Git, target: str) -> list[DirectCommit]:
    """Judge the commits that appeared on `target` since the last watch; report the direct
    ones and record the new tip. Run under the target's lease (one reporter)."""
    tip = repo.rev(f"refs/heads/{target}")
    if tip is None:
        return []
    marks = ctx.events.tail(1, kind=WATCHED, subject=target)
    if not marks:
        _mark(ctx, target, tip, {"first": True})
        return []
    mark = str(marks[0].data.get("tip", ""))
    if mark == tip:
        return []
    if not mark or not repo.rev(mark) or not repo.is_ancestor(mark, tip):
        _mark(ctx, target, tip, {"rewritten_from": mark})  # history was rewritten
        return []
    new = repo.lines("rev-list", f"--max-count={MAX_SCAN}", tip, f"^{mark}")
    landed = _landed_by_queue(ctx, repo, target, since=marks[0].ts - 60)
    direct = [c for c in new if c not in landed]
    found = [_describe(repo, c, _made_in(ctx, set(direct))) for c in reversed(direct)]
    _report(ctx, target, found)
    _mark(ctx, target, tip, {"direct": len(found), "truncated": len(new) >= MAX_SCAN})
    return found


def _landed_by_queue(ctx: Context, repo: Git, target: str, since: float) -> set[str]:
    """Every commit the queue's landings since `since` put on the target."""
    with ctx.store.transaction(write=False) as tx:
        rows = tx.all("mq_landed_since", target=target, since=since)
    made: set[str] = set()
    for request in (MergeRequest.from_row(r) for r in rows):
        if request.landed and request.base and repo.rev(request.landed):
            made.update(repo.lines("rev-list", request.landed, f"^{request.base}"))
    return made


def _made_in(ctx: Context, commits: set[str]) -> dict[str, tuple[str, str]]:
    """commit → (identity, worktree) for the commits some agent's worktree made: the
    commit is in that worktree's HEAD reflog."""
    if not commits:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for identity in ctx.identities.list():
        if not identity.worktree or not Path(identity.worktree).is_dir():
            continue
        reflog = Git(identity.worktree).try_run("reflog", "--format=%H", "HEAD")
        for commit in commits.intersection(reflog.stdout.split() if reflog.ok else ()):
            found.setdefault(commit, (identity.ref, identity.worktree))
    return found


def _describe(repo: Git, commit: str, made: dict[str, tuple[str, str]]) -> DirectCommit:
    shown = repo.try_run("show", "-s", "--format=%s%n%an <%ae>", commit).stdout.splitlines()
    identity, worktree = made.get(commit, (None, None))
    return DirectCommit(
        commit=commit,
        subject=shown[0] if shown else "",
        author=shown[1] if len(shown) > 1 else "",
        identity=identity,
        worktree=worktree,
    )


def _report(ctx: Context, target: str, found: list[DirectCommit]) -> None:
    if not found:
        return
    by_agent: dict[str, list[DirectCommit]] = {}
    for item in found:
        if item.identity is not None:
            by_agent.setdefault(item.identity, []).append(item)
    if by_agent:
        ctx.identities.create(*split_identity(OPERATOR))  # idempotent: escalations go here
    with ctx.store.transaction() as tx:
        for item in found:
            tx.emit(
                "merge.direct_commit",
                item.identity or target,
                {"target": target, **item.to_json()},
            )
        for agent, commits in by_agent.items():
            shas = ", ".join(c.commit[:10] for c in commits)
            ctx.signals.send_in(
                tx,
                OPERATOR,
                "ESCALATION",
                {
                    "identity": agent,
                    "reason": f"{agent} committed straight to {target} ({shas}), "
                    "bypassing the merge queue",
                    "condition": "direct_commit",
                    "target": target,
                    "commits": [c.commit for c in commits],
                    "worktree": commits[0].worktree,
                },
                sender=QUEUE_IDENTITY,
            )


def _mark(ctx: Context, target: str, tip: str, data: dict[str, Any]) -> None:
    try:
        with ctx.store.transaction() as tx:
            tx.emit(WATCHED, target, {"tip": tip, **data})
    except BosunError:  # pragma: no cover - the next watch judges the same commits again
        pass
