"""Background loops never die of an error: they restart with backoff and say they are down."""

from __future__ import annotations

import threading
import time
from typing import Any

from bosun.base.clock import FakeClock
from bosun.base.errors import StoreError
from bosun.supervisor.background import LoopBackoff, StepLoop, WorkerLoop


def test_the_delay_doubles_from_base_up_to_the_cap() -> None:
    policy = LoopBackoff(base=1.0, cap=60.0)
    assert [policy.next_delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert policy.next_delay(10_000) == 60


def test_a_run_that_lasted_long_enough_resets_the_failure_count() -> None:
    clock = FakeClock()
    policy = LoopBackoff(healthy_after=300.0)
    started = clock.monotonic()
    clock.advance(10)
    assert policy.failures_after(4, started, clock.monotonic()) == 5
    clock.advance(300)
    assert policy.failures_after(4, started, clock.monotonic()) == 1


class _Ctx:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.closed = False

    def close(self) -> None:
        self.closed = True


def _until(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_worker_killed_by_a_locked_database_is_restarted_and_reports_it_while_down() -> None:
    stopping = threading.Event()
    attempts: list[int] = []
    running = threading.Event()
    gate = threading.Event()
    seen_down: list[str | None] = []

    class Worker:
        def __init__(self) -> None:
            self.stopped = threading.Event()

        def run(self) -> None:
            running.set()
            self.stopped.wait()

        def stop(self) -> None:
            self.stopped.set()

    def build(ctx: Any) -> Worker:
        attempts.append(1)
        if len(attempts) <= 2:
            raise StoreError("bosun.db stayed locked for 60s", "find it with fuser")
        gate.wait(5)
        return Worker()

    loop = WorkerLoop("trigger_workers", build, "trigger-worker", LoopBackoff(base=0.01))
    thread = loop.thread(_Ctx, stopping, 1.0)  # type: ignore[arg-type]
    thread.start()
    try:
        _until(lambda: len(attempts) >= 3)
        seen_down.append(thread.error)
        gate.set()
        _until(running.is_set)
        _until(lambda: thread.error is None)
        assert thread.is_alive()
    finally:
        stopping.set()
        gate.set()
        thread.join(5)
    assert not thread.is_alive()
    assert seen_down[0] is not None and seen_down[0].startswith("down after 2 failure(s)")
    assert "stayed locked" in seen_down[0]


def test_a_step_loop_whose_store_cannot_be_opened_retries_until_it_can() -> None:
    stopping = threading.Event()
    opens: list[int] = []
    steps: list[int] = []

    def open_ctx() -> _Ctx:
        opens.append(1)
        if len(opens) < 3:
            raise StoreError("database is locked", "wait")
        return _Ctx()

    loop = StepLoop("sentinel", lambda ctx: steps.append(1), every=0.01, backoff=LoopBackoff(0.01))
    thread = loop.thread(open_ctx, stopping, 1.0)  # type: ignore[arg-type]
    thread.start()
    try:
        _until(lambda: len(steps) >= 2)
        assert thread.error is None and len(opens) == 3
    finally:
        stopping.set()
        thread.join(5)
    assert not thread.is_alive()
