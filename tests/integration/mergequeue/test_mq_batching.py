"""Adaptive batches: one gate run for a green batch, bisection for a red one."""

from __future__ import annotations

from bosun.mergequeue.policy import max_gate_runs

CULPRIT_GATE = "! ls CULPRIT-* >/dev/null 2>&1"


def _queue(mq, count: int, culprits: set[int] = frozenset()) -> list:  # type: ignore[assignment]
    requests = []
    for i in range(count):
        files = {f"f{i}.txt": f"{i}\n"}
        if i in culprits:
            files[f"CULPRIT-{i}"] = "broken\n"
        mq.commit_on(f"feat/{i}", files)
        requests.append(mq.enqueue(f"feat/{i}"))
    return requests


def test_adaptive_batch_of_eight_with_one_culprit_lands_seven(mq) -> None:
    mq.configure(
        merge_queue__batch="adaptive",
        merge_queue__batch_ceiling=8,
        merge_queue__gates=[CULPRIT_GATE],
    )
    requests = _queue(mq, 8, culprits={4})
    report = mq.process()
    culprit = requests[4]
    assert sorted(report.merged) == sorted(r.id for r in requests if r is not culprit)
    assert report.failed == [culprit.id]
    failed = mq.get(culprit.id)
    assert failed.status == "failed" and failed.detail["isolated_by_bisection"] is True
    assert CULPRIT_GATE in failed.reason
    assert mq.show("CULPRIT-4") is None
    assert all(mq.show(f"f{i}.txt") == f"{i}\n" for i in range(8) if i != 4)
    # one red batch, ceil(log2 8) probes, one re-test of the three after the culprit
    assert report.gate_runs <= max_gate_runs(8) + 1 and report.batches == 1
    [retest] = mq.events("merge.retest")
    assert retest.data["without"] == culprit.id
    assert retest.data["requests"] == [r.id for r in requests[5:]]
    windows = [(e.data["old"], e.data["new"]) for e in mq.events("merge.window")]
    assert windows == [(8, 4)]  # halved after the red batch
    # the queue's order is kept: f0..f3 landed before f5..f7
    log = mq.log()
    assert log.index("change f0.txt on feat/0") > log.index("change f7.txt on feat/7")


def test_green_batch_lands_in_one_gate_run(mq) -> None:
    mq.configure(
        merge_queue__batch="adaptive",
        merge_queue__batch_ceiling=6,
        merge_queue__gates=[CULPRIT_GATE],
    )
    requests = _queue(mq, 6)
    report = mq.process()
    assert report.gate_runs == 1 and report.batches == 1
    assert sorted(report.merged) == sorted(r.id for r in requests)
    # every request of the batch records the same landed commit, the tested one
    assert {mq.get(r.id).landed for r in requests} == {mq.tip()}


def test_two_culprits_are_both_isolated(mq) -> None:
    mq.configure(
        merge_queue__batch="adaptive",
        merge_queue__batch_ceiling=8,
        merge_queue__batch_floor=2,
        merge_queue__gates=[CULPRIT_GATE],
    )
    requests = _queue(mq, 8, culprits={1, 6})
    report = mq.process()
    assert sorted(report.failed) == sorted([requests[1].id, requests[6].id])
    assert len(report.merged) == 6
    assert mq.show("CULPRIT-1") is None and mq.show("CULPRIT-6") is None


def test_conflict_inside_a_batch_drops_only_that_request(mq) -> None:
    mq.configure(merge_queue__batch="adaptive", merge_queue__batch_ceiling=4)
    mq.commit_on("feat/a", {"same.txt": "a\n"})
    mq.commit_on("feat/b", {"same.txt": "b\n"})
    mq.commit_on("feat/c", {"c.txt": "c\n"})
    a, b, c = (mq.enqueue(f"feat/{x}") for x in "abc")
    report = mq.process()
    assert report.conflicts == [b.id]
    assert sorted(report.merged) == sorted([a.id, c.id])
    assert mq.get(b.id).detail["files"] == ["same.txt"]
    assert mq.show("same.txt") == "a\n"


def test_batch_one_never_batches(mq) -> None:
    mq.configure(merge_queue__gates=[CULPRIT_GATE])
    requests = _queue(mq, 3, culprits={1})
    report = mq.process()
    assert report.gate_runs == 3 and report.batches == 3
    assert report.failed == [requests[1].id]
