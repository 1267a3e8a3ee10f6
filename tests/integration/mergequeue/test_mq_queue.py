"""Enqueue, list, show, cancel, retry — and their bad input — through the API and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bosun.base.errors import Conflict, IllegalTransition, NotAProject, NotFound


def test_enqueuing_the_same_branch_twice_returns_the_same_request(mq) -> None:
    mq.commit_on("feat/x", {"x.txt": "x\n"})
    first = mq.cli_json("merge-queue", "enqueue", "feat/x")
    again = mq.cli_json("merge-queue", "enqueue", "feat/x")
    assert first["created"] is True and again["created"] is False
    assert again["id"] == first["id"] and first["status"] == "queued"
    assert first["target"] == "main"
    listed = mq.cli_json("merge-queue", "list")
    assert [r["id"] for r in listed] == [first["id"]]


def test_enqueue_moves_the_work_item_to_merge_ready(mq) -> None:
    mq.ctx.identities.create("polecat", "rust")
    item = mq.ctx.work.create("do it")
    mq.ctx.hooks.pin("polecat", "rust", item.id)
    mq.ctx.hooks.update_phase("polecat", "rust", "executing")
    mq.commit_on("bosun/rust", {"r.txt": "r\n"})
    request = mq.enqueue("bosun/rust", identity="polecat/rust")
    assert request.work_id == item.id
    assert mq.ctx.work.get(item.id).status == "merge_ready"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such/branch"], "branch 'no/such/branch' does not exist"),
        (["feat/ok", "--target", "nope"], "target branch 'nope' does not exist"),
        (["feat/ok", "--identity", "polecat/nobody"], "no identity polecat/nobody"),
        (["feat/ok", "--work", "bo-none"], "no work item 'bo-none'"),
        (["main"], "cannot merge main into itself"),
    ],
)
def test_bad_enqueue_is_refused_with_one_line_and_nothing_written(mq, args, message) -> None:
    mq.commit_on("feat/ok", {"ok.txt": "ok\n"})
    out = mq.cli("merge-queue", "enqueue", *args)
    assert out.returncode == 2
    assert out.stderr.splitlines()[0] == f"error: {message}"
    assert out.stderr.splitlines()[1].startswith("hint: ")
    assert mq.cli_json("merge-queue", "list", "--all") == []


def test_enqueue_outside_a_git_repository_is_refused(tmp_path: Path) -> None:
    from bosun.base.config import default_config
    from bosun.base.paths import ProjectPaths
    from bosun.core.context import Context
    from bosun.mergequeue.queue import MergeQueue
    from bosun.store.sqlite import SqliteStore

    plain = tmp_path / "plain"
    (plain / ".bosun").mkdir(parents=True)
    ctx = Context(SqliteStore(plain / ".bosun" / "bosun.db"), default_config(), ProjectPaths(plain))
    try:
        with pytest.raises(NotAProject, match="is not a git repository"):
            MergeQueue(ctx).enqueue("feat/x")
        assert MergeQueue(ctx).list(include_finished=True) == []
    finally:
        ctx.close()
    out = subprocess.run(
        [sys.executable, "-m", "bosun", "merge-queue", "enqueue", "x"],
        cwd=plain,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2 and "is not a git repository" in out.stderr


def test_cancel_and_retry(mq) -> None:
    mq.commit_on("feat/c", {"c.txt": "c\n"})
    request = mq.enqueue("feat/c")
    cancelled = mq.cli_json("merge-queue", "cancel", request.id)
    assert cancelled["status"] == "cancelled" and "cancelled by" in cancelled["reason"]
    assert mq.process() == []  # nothing pending
    retried = mq.cli_json("merge-queue", "retry", request.id)
    assert retried["status"] == "queued"
    assert mq.process().merged == [request.id]
    with pytest.raises(IllegalTransition):
        from bosun.mergequeue.queue import MergeQueue

        MergeQueue(mq.ctx).cancel(request.id)


def test_retry_after_a_conflict_lands_the_fixed_branch(mq) -> None:
    mq.commit_on("feat/r", {"same.txt": "mine\n"})
    mq.commit_on("main", {"same.txt": "theirs\n"})
    request = mq.enqueue("feat/r")
    mq.process()
    assert mq.get(request.id).status == "conflict"
    # the agent rebases its branch onto main and resolves the conflict
    mq.move("feat/r", mq.commit_on("fixed", {"same.txt": "theirs\n", "fix.txt": "resolved\n"}))
    retried = mq.cli_json("merge-queue", "retry", request.id)
    assert retried["status"] == "queued" and retried["attempts"] == 1
    mq.process()
    assert mq.get(request.id).status == "merged"
    assert mq.show("fix.txt") == "resolved\n"


def test_show_and_unknown_ids(mq) -> None:
    mq.commit_on("feat/s", {"s.txt": "s\n"})
    request = mq.enqueue("feat/s")
    shown = mq.cli("merge-queue", "show", request.id)
    assert shown.returncode == 0 and f"id: {request.id}" in shown.stdout
    missing = mq.cli("merge-queue", "show", "mr-000000")
    assert missing.returncode == 2 and "no merge request 'mr-000000'" in missing.stderr
    with pytest.raises(NotFound):
        mq.get("mr-000000")


def test_cancel_of_a_request_under_test_is_refused(mq) -> None:
    from bosun.mergequeue.outcomes import load, transition
    from bosun.mergequeue.queue import MergeQueue
    from bosun.mergequeue.records import RequestStatus

    mq.commit_on("feat/t", {"t.txt": "t\n"})
    request = mq.enqueue("feat/t")
    with mq.ctx.store.transaction() as tx:
        transition(tx, load(tx, request.id), RequestStatus.TESTING, "merge.testing")
    with pytest.raises(Conflict, match="is being tested"):
        MergeQueue(mq.ctx).cancel(request.id)


def test_process_json_and_flags(mq) -> None:
    mq.commit_on("feat/j", {"j.txt": "j\n"})
    mq.enqueue("feat/j")
    [report] = mq.cli_json("merge-queue", "process", "--once")
    assert report["target"] == "main" and len(report["merged"]) == 1
    both = mq.cli("merge-queue", "process", "--once", "--until-empty")
    assert both.returncode == 2 and "exclude each other" in both.stderr
    assert json.loads(mq.cli("merge-queue", "process", "--json").stdout) == []
