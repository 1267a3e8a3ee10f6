"""MERGE_READY signals become merge requests; `process` takes them in."""

from __future__ import annotations

from bosun.gitops.worktrees import Worktrees
from bosun.mergequeue.intake import consume_merge_ready
from bosun.mergequeue.records import QUEUE_IDENTITY


def _agent_with_worktree(mq, name: str) -> tuple[str, str, object]:
    owner, work_id = mq.agent(name)
    worktree = Worktrees(mq.ctx.paths, mq.ctx.config).create(name)
    mq.ctx.identities.create("polecat", name, worktree=str(worktree.path))
    (worktree.path / f"{name}.txt").write_text(f"{name}\n")
    mq.git("add", f"{name}.txt", cwd=worktree.path)
    mq.git("commit", "-q", "-m", f"work of {name}", cwd=worktree.path)
    return owner, work_id, worktree


def test_merge_ready_from_an_agent_lands_its_worktree_branch(mq) -> None:
    owner, work_id, worktree = _agent_with_worktree(mq, "toast")
    from bosun.mergequeue.queue import ensure_queue_identity

    ensure_queue_identity(mq.ctx)
    signal = mq.ctx.signals.send(QUEUE_IDENTITY, "MERGE_READY", {}, sender=owner)
    [intake] = consume_merge_ready(mq.ctx)
    assert intake.created and intake.signal_id == signal.id
    request = mq.get(intake.request_id)
    assert request.branch == "bosun/toast" and request.work_id == work_id
    assert request.identity == owner
    assert mq.ctx.signals.list(to=QUEUE_IDENTITY, unread=True) == []
    report = mq.process()
    assert report.merged == [request.id]
    assert mq.show("toast.txt") == "toast\n"
    assert mq.ctx.hooks.get("polecat", "toast").phase == "merged"
    assert [s.type for s in mq.ctx.signals.list(to=owner)] == ["MERGE_COMPLETE"]
    # the branch is checked out in the agent's worktree, so it is kept
    [outcome] = mq.events("merge.source_branch")
    assert outcome.data["outcome"] == "kept: checked out in a worktree"


def test_cli_process_takes_signals_in_and_is_idempotent_per_branch(mq) -> None:
    owner, _, _ = _agent_with_worktree(mq, "nux")
    from bosun.mergequeue.queue import ensure_queue_identity

    ensure_queue_identity(mq.ctx)
    for _ in range(2):
        mq.ctx.signals.send(QUEUE_IDENTITY, "MERGE_READY", {"branch": "bosun/nux"}, sender=owner)
    [report] = mq.cli_json("merge-queue", "process")
    assert len(report["merged"]) == 1
    assert len(mq.cli_json("merge-queue", "list", "--all")) == 1
    assert mq.show("nux.txt") == "nux\n"


def test_merge_ready_naming_a_missing_branch_is_answered_with_merge_failed(mq) -> None:
    owner, _ = mq.agent("slit")
    from bosun.mergequeue.queue import ensure_queue_identity

    ensure_queue_identity(mq.ctx)
    mq.ctx.signals.send(QUEUE_IDENTITY, "MERGE_READY", {"branch": "bosun/none"}, sender=owner)
    [intake] = consume_merge_ready(mq.ctx)
    assert intake.request_id is None and "does not exist" in intake.error
    assert mq.ctx.signals.list(to=QUEUE_IDENTITY, unread=True) == []  # acked, not retried
    [answer] = mq.ctx.signals.list(to=owner, kind="MERGE_FAILED")
    assert "bosun/none" in answer.payload["reason"]
    assert consume_merge_ready(mq.ctx) == []
