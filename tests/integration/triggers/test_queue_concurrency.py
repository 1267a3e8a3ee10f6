"""4 worker processes × 5,000 jobs on each backend: every job is completed exactly once, also
when one worker is killed with SIGKILL in the middle of its batch (its jobs are rescued)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bosun.triggers.jobs import JobState
from bosun.triggers.queue import TriggerQueue
from waiting import wait_for


def open_backend(backend: tuple[str, str], clock: Any = None) -> Any:
    """A store on the `backend` fixture's SQLite file or PostgreSQL schema."""
    dialect, location = backend
    if dialect == "sqlite":
        from bosun.store.sqlite import SqliteStore

        return SqliteStore(location, clock)
    from bosun.store.postgres import PostgresStore

    return PostgresStore(location, clock)


ROOT = Path(__file__).resolve().parents[3]
JOBS = 5000
WORKER = Path(__file__).with_name("queue_worker_main.py")
pytestmark = pytest.mark.slow


def fill(store: Any, n: int) -> None:
    queue = TriggerQueue(store)
    with store.transaction() as tx:
        for i in range(n):
            queue.enqueue_in(
                tx,
                thread_id=f"th-{i // 100}",
                role="dev",
                name=f"w{i}",
                requested_by="operator/bench",
                trace_id=f"trace-{i}",
            )


def start(backend: tuple[str, str], delay: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(
        [sys.executable, str(WORKER), backend[0], backend[1], str(delay)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=30)


def completed_attempts(store: Any) -> tuple[Counter[str], Counter[str]]:
    by_job: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for (job_id, outcome), n in TriggerQueue(store).attempt_tally().items():
        outcomes[outcome] += n
        if outcome == "completed":
            by_job[job_id] += n
    return by_job, outcomes


def all_done(store: Any) -> bool:
    counts = TriggerQueue(store).counts()
    return counts.get(str(JobState.COMPLETED), 0) == JOBS


@pytest.mark.parametrize("kill_one", [False, True], ids=["clean", "sigkill"])
def test_every_job_is_completed_exactly_once(
    backend: tuple[str, str], kill_one: bool, workers: list[subprocess.Popen[str]]
) -> None:
    store = open_backend(backend)
    try:
        fill(store, JOBS)
        victim = start(backend, 0.02) if kill_one else None
        if victim is not None:
            workers.append(victim)
            # alone, the victim is mid-batch when it has completed jobs and holds claims
            wait_for(
                lambda: _mid_batch(store),
                timeout=120,
                interval=0.005,
                what="the victim to be in the middle of a batch",
            )
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
        for _ in range(4 - len(workers)):
            workers.append(start(backend, 0.0))
        wait_for(
            lambda: all_done(store), timeout=240, interval=0.2, what=f"{JOBS} jobs to complete"
        )
        for proc in workers[1 if kill_one else 0 :]:
            proc.send_signal(signal.SIGTERM)  # graceful shutdown
        for proc in workers[1 if kill_one else 0 :]:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err[-2000:]
            assert out.startswith("processed=")
        by_job, outcomes = completed_attempts(store)
        assert len(by_job) == JOBS and set(by_job.values()) == {1}
        assert outcomes["completed"] == JOBS
        if kill_one:
            assert outcomes["rescued"] >= 1
        from bosun.triggers.registry import WorkerRegistry

        states = Counter(str(w.state) for w in WorkerRegistry(store).list())
        assert states["stopped"] == (3 if kill_one else 4)
        assert states["lost"] == (1 if kill_one else 0)
    finally:
        store.close()


def _mid_batch(store: Any) -> bool:
    counts = TriggerQueue(store).counts()
    return (
        counts.get(str(JobState.COMPLETED), 0) >= 20 and counts.get(str(JobState.RUNNING), 0) >= 3
    )
