"""The review step (`[merge_queue] require_approval`): a request waits in
`awaiting_approval` until `bosun mr approve`, the real processor never lands it before, and
`bosun mr diff` shows what would land — against a real git repository."""

from __future__ import annotations

import pytest

from clirunner import Bosun

REVIEW = "[merge_queue]\nrequire_approval = true\n"


@pytest.fixture
def review(mq):  # type: ignore[no-untyped-def]
    """The harness with require_approval on, for the API and for CLI subprocesses."""
    mq.write_config(REVIEW)
    mq.configure(merge_queue__require_approval=True)
    return mq


def test_a_request_awaiting_approval_is_not_landed_by_the_processor(review) -> None:
    owner, work_id = review.agent("toast")
    review.commit_on("bosun/toast", {"feature.py": "print('hi')\n"})
    before = review.tip("main")
    request = review.enqueue("bosun/toast", identity=owner)
    assert request.status == "awaiting_approval"
    report = review.process(target="main")  # the processor looks at this target anyway
    assert report.merged == [] and report.batches == 0
    assert review.tip("main") == before  # the target did not move
    assert review.get(request.id).status == "awaiting_approval"
    assert review.show("feature.py") is None
    assert review.ctx.work.get(work_id).status == "merge_ready"
    [enqueued] = review.events("merge.enqueued")
    assert enqueued.data["status"] == "awaiting_approval"


def test_mr_diff_shows_what_would_land_and_approve_lands_it(review) -> None:
    owner, _ = review.agent("toast")
    review.commit_on("main", {"base.txt": "target moved on\n"})
    review.commit_on("bosun/toast", {"feature.py": "print('hi')\n"}, base="main~1")
    request = review.enqueue("bosun/toast", identity=owner)
    diff = review.cli("mr", "diff", request.id)
    assert diff.returncode == 0, diff.stderr
    assert "+print('hi')" in diff.stdout and "feature.py" in diff.stdout
    assert "base.txt" not in diff.stdout  # the merge-base diff: only the branch's change
    stat = review.cli("mr", "diff", request.id, "--stat")
    assert "feature.py | 1 +" in stat.stdout and "+print" not in stat.stdout
    listed = review.cli("merge-queue", "list")
    assert "awaiting_approval" in listed.stdout
    assert f"bosun mr approve {request.id}" in listed.stdout

    approved = review.cli("mr", "approve", request.id, env={"BOSUN_IDENTITY": "crew/lead"})
    assert approved.returncode == 0, approved.stderr
    assert f"approved {request.id}" in approved.stdout
    assert review.get(request.id).status == "queued"
    [event] = review.events("merge.approved")
    assert event.subject == request.id and event.data["by"] == "crew/lead"
    assert event.data["head"] == review.tip("bosun/toast")
    report = review.process()
    assert report.merged == [request.id]
    assert review.show("feature.py") == "print('hi')\n"
    assert review.get(request.id).status == "merged"


def test_only_the_approved_commit_lands_when_the_branch_moves_after_approval(review) -> None:
    reviewed = review.commit_on("feat/x", {"x.txt": "reviewed\n"})
    request = review.enqueue("feat/x")
    assert review.cli("mr", "approve", request.id).returncode == 0
    review.commit_on("feat/x", {"x.txt": "sneaked in after the review\n"})
    report = review.process()
    assert report.merged == [request.id]
    assert review.show("x.txt") == "reviewed\n"
    assert review.get(request.id).detail["approval"]["head"] == reviewed
    assert review.git("rev-parse", "--verify", "--quiet", "refs/heads/feat/x")  # kept: not all in


def test_approving_a_request_that_is_not_awaiting_approval_is_refused(review) -> None:
    review.commit_on("feat/x", {"x.txt": "x\n"})
    request = review.enqueue("feat/x")
    assert review.cli("mr", "approve", request.id).returncode == 0
    bosun = Bosun(review.root)
    before = bosun.db_snapshot()
    again = review.cli("mr", "approve", request.id)
    assert again.returncode == 2
    assert again.stderr.splitlines()[0] == (
        f"error: merge request {request.id} is queued, not awaiting approval"
    )
    assert again.stderr.splitlines()[1].startswith("hint: ")
    assert bosun.db_snapshot() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mr", "approve", "mr-nope"], "no merge request 'mr-nope'"),
        (["mr", "diff", "mr-nope"], "no merge request 'mr-nope'"),
        (["mr", "reject", "mr-nope", "--reason", "no"], "no merge request 'mr-nope'"),
        (["mr", "reject", "{id}", "--reason", "  "], "a rejection needs a reason"),
        (["mr", "approve", "{id}", "--commit", "0" * 40], "is not the tip of feat/x"),
    ],
)
def test_bad_review_input_is_refused_with_one_line_and_nothing_changed(
    review, args, message
) -> None:
    review.commit_on("feat/x", {"x.txt": "x\n"})
    request = review.enqueue("feat/x")
    bosun = Bosun(review.root)
    before = bosun.db_snapshot()
    out = review.cli(*[a.format(id=request.id) for a in args])
    assert out.returncode == 2, out.stdout
    assert message in out.stderr.splitlines()[0]
    assert out.stderr.splitlines()[1].startswith("hint: ")
    assert bosun.db_snapshot() == before


def test_an_agent_cannot_approve_its_own_request(review) -> None:
    owner, _ = review.agent("toast")
    review.commit_on("bosun/toast", {"t.txt": "t\n"})
    request = review.enqueue("bosun/toast", identity=owner)
    out = review.cli("mr", "approve", request.id, env={"BOSUN_IDENTITY": owner})
    assert out.returncode == 2
    assert "cannot approve its own merge request" in out.stderr
    assert review.get(request.id).status == "awaiting_approval"


def test_reject_hands_the_work_back_with_the_reason_and_retry_waits_again(review) -> None:
    owner, work_id = review.agent("toast")
    review.commit_on("bosun/toast", {"t.txt": "t\n"})
    request = review.enqueue("bosun/toast", identity=owner)
    out = review.cli("mr", "reject", request.id, "--reason", "needs a test")
    assert out.returncode == 0, out.stderr
    rejected = review.get(request.id)
    assert rejected.status == "rejected" and "needs a test" in (rejected.reason or "")
    assert review.ctx.work.get(work_id).status == "in_progress"
    hook = review.ctx.hooks.get("polecat", "toast")
    assert hook.phase == "executing" and "needs a test" in (hook.resumption or "")
    [signal] = review.ctx.signals.list(to=owner, kind="MERGE_FAILED")
    assert signal.payload["reason"] == "rejected: needs a test"
    assert review.process(target="main").merged == []
    retried = review.cli_json("merge-queue", "retry", request.id)
    assert retried["status"] == "awaiting_approval"
    assert review.get(request.id).detail.get("approval") is None


def test_status_lists_requests_awaiting_approval_with_how_to_approve(review) -> None:
    review.commit_on("feat/x", {"x.txt": "x\n"})
    request = review.enqueue("feat/x")
    data = review.cli_json("status")
    line = next(a for a in data["attention"] if request.id in a)
    assert "awaits approval" in line and f"bosun mr approve {request.id}" in line
    assert f"bosun mr diff {request.id}" in line
    assert review.cli("mr", "approve", request.id).returncode == 0
    assert not any(request.id in a for a in review.cli_json("status")["attention"])


def test_without_require_approval_requests_are_queued_as_before(mq) -> None:
    mq.commit_on("feat/x", {"x.txt": "x\n"})
    request = mq.enqueue("feat/x")
    assert request.status == "queued"
    assert mq.process().merged == [request.id]


def test_enqueue_says_the_request_awaits_approval_and_how_to_review_it(review) -> None:
    review.commit_on("feat/x", {"x.txt": "x\n"})
    out = review.cli("merge-queue", "enqueue", "feat/x")
    assert out.returncode == 0, out.stderr
    request_id = out.stdout.split()[1].rstrip(":")
    assert f"awaits approval: review it with `bosun mr diff {request_id}`" in out.stdout
