"""One processor per target: a lease row on SQLite, an advisory lock on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bosun.base.clock import FakeClock
from bosun.core.context import open_project
from bosun.mergequeue.lease import RowLease, ensure_target, open_lease
from waiting import wait_for


def _env(backend: tuple[str, str]) -> dict[str, str]:
    dialect, location = backend
    return {"BOSUN_DATABASE_URL": location} if dialect == "postgres" else {}


def test_second_processor_is_refused_while_the_first_holds_the_target(mq, backend) -> None:
    env = _env(backend)
    first, second = open_project(mq.root, env=env), open_project(mq.root, env=env)
    try:
        ensure_target(first, "main", 1)
        held = open_lease(first, "main")
        assert held.acquire()
        from bosun.mergequeue.processor import process

        mq.commit_on("feat/l", {"l.txt": "l\n"})
        from bosun.mergequeue.queue import MergeQueue

        request, _ = MergeQueue(second).enqueue("feat/l")
        [report] = process(second, "main")
        assert report.lease_held_by and report.merged == []
        assert MergeQueue(second).get(request.id).status == "queued"
        held.release()
        [report] = process(second, "main")
        assert report.merged == [request.id]
    finally:
        first.close()
        second.close()


def test_concurrent_processors_land_every_request_exactly_once(mq, backend) -> None:
    env = _env(backend)
    mq.write_config('[merge_queue]\ngates = ["sleep 0.3"]\n')
    ctx = open_project(mq.root, env=env)
    try:
        from bosun.mergequeue.queue import MergeQueue

        requests = []
        for i in range(3):
            mq.commit_on(f"feat/{i}", {f"{i}.txt": f"{i}\n"})
            requests.append(MergeQueue(ctx).enqueue(f"feat/{i}")[0])
        base = len(mq.log())
        import os

        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bosun", "merge-queue", "process"],
                cwd=mq.root,
                env={**os.environ, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        try:
            results = [p.communicate(timeout=120) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        codes = sorted(p.returncode for p in procs)
        assert codes in ([0, 0], [0, 1]), results  # 1 = refused: the other one held it
        for code, (_, err) in zip([p.returncode for p in procs], results, strict=True):
            if code == 1:
                assert "being processed by" in err
        assert {MergeQueue(ctx).get(r.id).status for r in requests} == {"merged"}
        assert len(mq.log()) == base + 3
        landed = ctx.events.since(0, kind="merge.landed")
        assert sorted(e.subject for e in landed) == sorted(r.id for r in requests)
    finally:
        ctx.close()


def test_sqlite_lease_expires_and_the_old_holder_notices(mq) -> None:
    clock = FakeClock()
    first = open_project(mq.root, env={}, clock=clock)
    second = open_project(mq.root, env={}, clock=clock)
    try:
        ensure_target(first, "main", 1)
        a, b = RowLease(first, "main", ttl=60), RowLease(second, "main", ttl=60)
        assert a.acquire() and not b.acquire()
        clock.advance(30)
        assert a.renew() and not b.acquire()
        clock.advance(61)
        assert b.acquire()
        assert not a.renew()  # a gate run would now be killed and nothing landed
        taken = first.events.since(0, kind="merge.lease_taken_over")
        assert taken and taken[0].data["why"] == "lease expired"
    finally:
        first.close()
        second.close()


def test_sqlite_lease_of_a_dead_process_is_taken_over_at_once(mq) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    import socket

    ctx = open_project(mq.root, env={})
    try:
        ensure_target(ctx, "main", 1)
        ghost = RowLease(ctx, "main", ttl=3600)
        ghost.holder = f"{socket.gethostname()}:{dead}:abcdef"
        assert ghost.acquire()
        mine = RowLease(ctx, "main", ttl=3600)
        assert mine.acquire()
        taken = ctx.events.since(0, kind="merge.lease_taken_over")
        assert taken[-1].data["why"] == "holder process is gone"
    finally:
        ctx.close()


@pytest.mark.postgres
def test_postgres_advisory_lock_is_dropped_with_the_connection(mq, pg_url) -> None:
    env = {"BOSUN_DATABASE_URL": pg_url}
    first, second = open_project(mq.root, env=env), open_project(mq.root, env=env)
    try:
        a, b = open_lease(first, "main"), open_lease(second, "main")
        assert a.acquire() and not b.acquire()
        assert a.renew()
        first.close()  # a processor that dies loses its connection, and with it the lock
        wait_for(b.acquire, timeout=30, what="the server to drop the dead session's lock")
        assert b.renew()
        other_target = open_lease(second, "release")
        assert other_target.acquire()  # targets are independent
    finally:
        second.close()
