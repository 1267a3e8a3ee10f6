"""A processor killed with SIGKILL at any step leaves nothing the next one cannot finish."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

import pytest

from bosun.mergequeue.landing import CRASH_ENV, CRASH_POINTS
from waiting import wait_for


def _assert_consistent(mq, requests: list, base_commits: int, landed: int) -> None:
    statuses = {r.id: mq.get(r.id).status for r in requests}
    assert all(s in ("merged", "failed") for s in statuses.values()), statuses
    merged = [rid for rid, s in statuses.items() if s == "merged"]
    assert len(merged) == landed
    # no double merge: one commit per landed request, one landed event per request
    assert len(mq.log()) == base_commits + landed
    subjects = [e.subject for e in mq.events("merge.landed")]
    assert sorted(subjects) == sorted(merged)
    assert mq.git("status", "--porcelain") == ""
    scratch = mq.root / ".bosun" / "merge" / "main"
    assert mq.git("status", "--porcelain", cwd=scratch) == ""


@pytest.mark.parametrize("step", CRASH_POINTS)
def test_sigkill_after_each_step_then_restart_is_consistent(mq, step: str) -> None:
    mq.write_config('[merge_queue]\ngates = ["test -f README.md"]\n')
    mq.commit_on("feat/a", {"a.txt": "a\n"})
    mq.commit_on("feat/b", {"b.txt": "b\n"})
    requests = [mq.enqueue("feat/a"), mq.enqueue("feat/b")]
    base = len(mq.log())
    crashed = mq.cli("merge-queue", "process", env={CRASH_ENV: step})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    after = mq.cli("merge-queue", "process", "--json")
    assert after.returncode == 0, after.stdout + after.stderr
    _assert_consistent(mq, requests, base, landed=2)
    assert mq.show("a.txt") == "a\n" and mq.show("b.txt") == "b\n"


@pytest.mark.parametrize("step", ["gated", "landed", "settled"])
def test_sigkill_during_bisection_then_restart_is_consistent(mq, step: str) -> None:
    mq.write_config(
        '[merge_queue]\nbatch = "adaptive"\nbatch_ceiling = 4\n'
        'gates = ["! ls CULPRIT >/dev/null 2>&1"]\n'
    )
    requests = []
    for i in range(4):
        files = {f"f{i}.txt": f"{i}\n", **({"CULPRIT": "x\n"} if i == 2 else {})}
        mq.commit_on(f"feat/{i}", files)
        requests.append(mq.enqueue(f"feat/{i}"))
    base = len(mq.log())
    env = {CRASH_ENV: step}
    crashed = mq.cli("merge-queue", "process", env=env)
    assert crashed.returncode == -signal.SIGKILL
    after = mq.cli("merge-queue", "process")
    assert after.returncode == 0, after.stderr
    _assert_consistent(mq, requests, base, landed=3)
    assert mq.get(requests[2].id).status == "failed"


def test_processor_killed_while_a_gate_sleeps_is_recovered(mq, tmp_path: Path) -> None:
    started, pgid_file = tmp_path / "started", tmp_path / "pgid"
    gate = f"if [ ! -e {started} ]; then echo $$ > {pgid_file}; touch {started}; sleep 120; fi"
    mq.write_config(f'[merge_queue]\ngates = ["{gate}"]\n')
    mq.commit_on("feat/s", {"s.txt": "s\n"})
    request = mq.enqueue("feat/s")
    base = len(mq.log())
    proc = subprocess.Popen(
        [*_bosun(), "merge-queue", "process"],
        cwd=mq.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: pgid_file.exists() and pgid_file.read_text().strip(),
            timeout=60,
            what="the gate to start",
        )
        assert mq.get(request.id).status == "testing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if pgid_file.exists():  # the orphaned gate of the killed processor
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(pgid_file.read_text()), signal.SIGKILL)
    after = mq.cli("merge-queue", "process", "--json")
    assert after.returncode == 0, after.stderr
    _assert_consistent(mq, [request], base, landed=1)
    requeued = mq.events("merge.requeued")
    assert requeued and "processor stopped" in requeued[0].data["reason"]


def _bosun() -> list[str]:
    import sys

    return [sys.executable, "-m", "bosun"]
