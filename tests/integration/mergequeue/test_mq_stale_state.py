"""What a crashed processor leaves behind never fails the queue (issue 18, items 3 and 4):
stale lock files and a half-done rebase in the scratch tree are repaired on start, a git
error in the queue's own machinery queues the batch again without blaming anyone, and the
dead processor's gates are ended before the next processor's run."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from bosun.mergequeue.orphans import group_members
from waiting import wait_for


def _scratch_gitdir(mq) -> Path:
    scratch = mq.root / ".bosun" / "merge" / "main"
    return Path(mq.git("rev-parse", "--absolute-git-dir", cwd=scratch))


def _two_commit_branch(mq, name: str) -> None:
    """Two commits: rebased in the scratch tree (not by merge-tree)."""
    mq.commit_on(name, {f"{name.replace('/', '_')}.1": "1\n"})
    mq.commit_on(name, {f"{name.replace('/', '_')}.2": "2\n"})


def _warm_scratch(mq) -> None:
    _two_commit_branch(mq, "feat/warm")
    mq.enqueue("feat/warm")
    assert mq.process().merged


def test_stale_locks_and_a_half_done_rebase_are_repaired_and_nobody_is_blamed(mq) -> None:
    mq.write_config(
        '[merge_queue]\nbatch = "adaptive"\nbatch_ceiling = 8\ngates = ["test -f README.md"]\n'
    )
    _warm_scratch(mq)
    gitdir = _scratch_gitdir(mq)
    (gitdir / "index.lock").write_text("")  # a processor killed with its git mid-write
    (gitdir / "HEAD.lock").write_text("")
    (gitdir / "rebase-merge").mkdir()  # ...and mid-rebase
    (gitdir / "rebase-merge" / "head-name").write_text("detached HEAD\n")
    requests = []
    for i in range(5):
        _two_commit_branch(mq, f"feat/{i}")
        requests.append(mq.enqueue(f"feat/{i}"))
    report = mq.process()
    assert sorted(report.merged) == sorted(r.id for r in requests), report
    assert report.failed == [] and report.conflicts == []
    repaired = mq.events("merge.scratch_repaired")
    assert repaired and any("index.lock" in d for d in repaired[-1].data["done"])


def test_a_lock_held_by_a_live_process_is_kept_and_the_batch_is_queued_again(mq) -> None:
    mq.write_config('[merge_queue]\ngates = ["true"]\n')
    _warm_scratch(mq)
    lock = _scratch_gitdir(mq) / "index.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"f = open({str(lock)!r}, 'w'); import time; time.sleep(120)"]
    )
    try:
        wait_for(lock.exists, timeout=30, what="the lock holder")
        requests = []
        for i in range(3):
            _two_commit_branch(mq, f"feat/{i}")
            requests.append(mq.enqueue(f"feat/{i}"))
        report = mq.process()
        assert report.failed == [] and report.merged == []
        assert {mq.get(r.id).status for r in requests} == {"queued"}
        assert mq.events("merge.infra_error")
    finally:
        holder.kill()
        holder.wait()
        lock.unlink(missing_ok=True)
    report = mq.process()
    assert sorted(report.merged) == sorted(r.id for r in requests)
    assert report.failed == []


def test_a_killed_processors_gates_are_ended_before_the_next_run(mq, tmp_path: Path) -> None:
    started, pgid_file = tmp_path / "started", tmp_path / "pgid"
    gate = f"if [ ! -e {started} ]; then echo $$ > {pgid_file}; touch {started}; sleep 300; fi"
    mq.write_config(f'[merge_queue]\ngates = ["{gate}"]\n')
    mq.commit_on("feat/s", {"s.txt": "s\n"})
    request = mq.enqueue("feat/s")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bosun", "merge-queue", "process"],
        cwd=mq.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pgid = 0
    try:
        wait_for(
            lambda: pgid_file.exists() and pgid_file.read_text().strip(),
            timeout=60,
            what="the gate to start",
        )
        pgid = int(pgid_file.read_text())
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert group_members(pgid), "the orphaned gate should still run"
        after = mq.cli("merge-queue", "process", "--json")
        assert after.returncode == 0, after.stderr
        assert group_members(pgid) == []
        ended = [e.data for e in mq.events("merge.gate_group_ended") if e.data["pgid"] == pgid]
        assert ended and ended[-1]["how"].startswith("killed"), ended
        assert mq.get(request.id).status == "merged"
        assert mq.events("merge.scratch_repaired")[-1].data["killed_gate_groups"] == [pgid]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if pgid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
