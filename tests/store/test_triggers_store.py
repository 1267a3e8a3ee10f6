"""The trigger queue and threads contract, on SQLite and PostgreSQL: idempotent enqueue,
claim with a lease, fencing, retries, dead letters, requeue, rescue of lost workers."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bosun.base.clock import FakeClock
from bosun.base.config import default_config
from bosun.base.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from bosun.core.context import Context
from bosun.core.threads import Threads
from bosun.triggers.jobs import JobState
from bosun.triggers.policies.backoff import RetryConfig
from bosun.triggers.queue import QueueConfig, TriggerQueue
from bosun.triggers.registry import WorkerRegistry


def open_backend(backend: tuple[str, str], clock: Any = None) -> Any:
    """A store on the `backend` fixture's SQLite file or PostgreSQL schema."""
    dialect, location = backend
    if dialect == "sqlite":
        from bosun.store.sqlite import SqliteStore

        return SqliteStore(location, clock)
    from bosun.store.postgres import PostgresStore

    return PostgresStore(location, clock)


CONFIG = QueueConfig(
    retry=RetryConfig(max_attempts=3, base=10, cap=100, jitter=0),
    max_rescues=2,
    lease=300,
    worker_stale_after=30,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(backend: tuple[str, str], clock: FakeClock) -> Iterator[Any]:
    s = open_backend(backend, clock)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def queue(store: Any) -> TriggerQueue:
    return TriggerQueue(store, CONFIG, random.Random(3))


def enqueue(
    queue: TriggerQueue, thread: str = "th-1", who: str = "dev/a", trace: str = "t"
) -> tuple[Any, bool]:
    role, name = who.split("/")
    with queue.store.transaction() as tx:
        return queue.enqueue_in(
            tx,
            thread_id=thread,
            role=role,
            name=name,
            requested_by="operator/x",
            trace_id=trace,
            upto_seq=1,
        )


def worker(queue: TriggerQueue) -> str:
    return WorkerRegistry(queue.store).register(host="test", pid=1)


def test_enqueue_is_idempotent_while_a_job_is_pending(queue: TriggerQueue) -> None:
    first, created = enqueue(queue, trace="one")
    again, created_again = enqueue(queue, trace="two")
    other, _ = enqueue(queue, who="dev/b")
    assert created and not created_again
    assert again.id == first.id and again.trace_id == "one"
    assert other.id != first.id


def test_a_claim_takes_each_due_job_once(queue: TriggerQueue, clock: FakeClock) -> None:
    for n in range(5):
        enqueue(queue, who=f"dev/w{n}")
    me = worker(queue)
    first = queue.claim(me, 3)
    second = queue.claim(me, 3)
    assert len(first) == 3 and len(second) == 2
    assert {lease.job.id for lease in first}.isdisjoint(lease.job.id for lease in second)
    assert all(
        lease.job.state == JobState.RUNNING and lease.job.attempts == 1 for lease in first + second
    )
    assert queue.claim(me, 3) == []


def test_a_running_job_still_counts_as_pending(queue: TriggerQueue) -> None:
    job, _ = enqueue(queue)
    queue.claim(worker(queue), 1)
    again, created = enqueue(queue)
    assert not created and again.id == job.id and again.state == JobState.RUNNING


def test_complete_records_the_attempt_and_frees_the_pair(
    queue: TriggerQueue, clock: FakeClock
) -> None:
    job, _ = enqueue(queue)
    [lease] = queue.claim(worker(queue), 1)
    assert queue.complete(lease, hop="live", reason="session_live", started_at=clock.now())
    done = queue.get(job.id)
    assert done.state == JobState.COMPLETED and done.hop == "live"
    [attempt] = queue.attempts(job.id)
    assert (attempt.outcome, attempt.reason, attempt.attempt) == ("completed", "session_live", 1)
    assert enqueue(queue)[1]  # a new request makes a new job


def test_failures_retry_with_backoff_then_go_dead(queue: TriggerQueue, clock: FakeClock) -> None:
    job, _ = enqueue(queue)
    me = worker(queue)
    [lease] = queue.claim(me, 1)
    assert (
        queue.fail(lease, hop="live", reason="target_gone", started_at=clock.now())
        == JobState.RETRY
    )
    retrying = queue.get(job.id)
    assert retrying.run_after == pytest.approx(clock.now() + 10)
    assert queue.claim(me, 1) == []  # not before its backoff
    clock.advance(10)
    [lease] = queue.claim(me, 1)
    assert (
        queue.fail(lease, hop="live", reason="target_gone", started_at=clock.now())
        == JobState.RETRY
    )
    clock.advance(20)
    [lease] = queue.claim(me, 1)
    assert (
        queue.fail(lease, hop="live", reason="target_gone", started_at=clock.now()) == JobState.DEAD
    )
    dead = queue.get(job.id)
    assert dead.state == JobState.DEAD and dead.failures == 3 and dead.attempts == 3
    assert [a.outcome for a in queue.attempts(job.id)] == ["failed"] * 3
    assert [j.id for j in queue.list(JobState.DEAD)] == [job.id]


def test_requeue_brings_a_dead_job_back(queue: TriggerQueue, clock: FakeClock) -> None:
    job, _ = enqueue(queue)
    [lease] = queue.claim(worker(queue), 1)
    queue.fail(lease, hop="live", reason="bad", started_at=clock.now(), retryable=False)
    assert queue.get(job.id).state == JobState.DEAD
    back = queue.requeue(job.id, "operator/x")
    assert back.state == JobState.QUEUED and back.failures == 0
    with pytest.raises(IllegalTransition):
        queue.requeue(job.id, "operator/x")
    with pytest.raises(NotFound):
        queue.requeue("tj-nope", "operator/x")


def test_requeue_refuses_when_another_job_for_the_pair_is_pending(
    queue: TriggerQueue, clock: FakeClock
) -> None:
    job, _ = enqueue(queue)
    [lease] = queue.claim(worker(queue), 1)
    queue.fail(lease, hop="live", reason="bad", started_at=clock.now(), retryable=False)
    enqueue(queue)
    with pytest.raises(Conflict):
        queue.requeue(job.id, "operator/x")


def test_a_deferral_is_not_a_failure(queue: TriggerQueue, clock: FakeClock) -> None:
    job, _ = enqueue(queue)
    me = worker(queue)
    [lease] = queue.claim(me, 1)
    assert queue.defer(
        lease,
        run_after=clock.now() + 5,
        hop="live",
        reason="collision_busy",
        started_at=clock.now(),
        deferred_since=clock.now(),
    )
    deferred = queue.get(job.id)
    assert deferred.state == JobState.QUEUED and deferred.failures == 0
    assert deferred.deferred_since == clock.now()
    clock.advance(5)
    assert [lease.job.id for lease in queue.claim(me, 1)] == [job.id]


def test_rescue_returns_a_lost_workers_job_and_fences_the_old_worker(
    queue: TriggerQueue, clock: FakeClock
) -> None:
    job, _ = enqueue(queue)
    registry = WorkerRegistry(queue.store)
    lost = worker(queue)
    [old] = queue.claim(lost, 1)
    clock.advance(10)
    assert queue.rescue() == []  # the worker is not silent long enough yet
    clock.advance(25)
    alive = worker(queue)
    assert queue.rescue() == [job.id]
    assert registry.get(lost).state == "lost"
    rescued = queue.get(job.id)
    assert rescued.state == JobState.RETRY and rescued.rescues == 1
    [new] = queue.claim(alive, 1)
    # the old worker wakes up: every ending write is refused
    assert not queue.complete(old, hop="live", reason="late", started_at=clock.now())
    assert queue.fail(old, hop="live", reason="late", started_at=clock.now()) is None
    assert not queue.defer(
        old, run_after=clock.now(), hop="live", reason="late", started_at=clock.now()
    )
    assert queue.complete(new, hop="live", reason="ok", started_at=clock.now())
    outcomes = [(a.worker, a.outcome) for a in queue.attempts(job.id)]
    assert (lost, "rescued") in outcomes and (alive, "completed") in outcomes
    assert [o for w, o in outcomes if w == lost].count("lost_lease") == 3
    assert queue.get(job.id).state == JobState.COMPLETED
    with pytest.raises(Conflict):
        registry.heartbeat(lost, 0)


def test_a_heartbeating_worker_keeps_its_jobs(queue: TriggerQueue, clock: FakeClock) -> None:
    enqueue(queue)
    registry = WorkerRegistry(queue.store)
    me = worker(queue)
    queue.claim(me, 1)
    for _ in range(10):
        clock.advance(20)
        registry.heartbeat(me, 0)
        assert queue.rescue() == []


def test_a_job_past_its_lease_is_rescued_even_with_a_heartbeat(
    store: Any, clock: FakeClock
) -> None:
    queue = TriggerQueue(store, QueueConfig(lease=60, worker_stale_after=30))
    job, _ = enqueue(queue)
    me = worker(queue)
    queue.claim(me, 1)
    clock.advance(61)
    WorkerRegistry(store).heartbeat(me, 0)
    assert queue.rescue() == [job.id]
    assert queue.attempts(job.id)[-1].reason == "lease_expired"


def test_rescues_are_bounded_then_the_job_is_dead(queue: TriggerQueue, clock: FakeClock) -> None:
    job, _ = enqueue(queue)
    for _ in range(3):
        queue.claim(worker(queue), 1)
        clock.advance(31)
        queue.rescue()
    dead = queue.get(job.id)
    assert dead.state == JobState.DEAD and dead.rescues == 3
    assert "rescue 3 of 2" in (dead.outcome or "")


def test_release_gives_back_an_unstarted_claim(queue: TriggerQueue) -> None:
    job, _ = enqueue(queue)
    me = worker(queue)
    [lease] = queue.claim(me, 1)
    assert queue.release(lease)
    back = queue.get(job.id)
    assert back.state == JobState.QUEUED and back.attempts == 0
    assert queue.claim(me, 1)[0].job.id == job.id


def test_concurrent_claimers_never_share_a_job(backend: tuple[str, str]) -> None:
    setup = open_backend(backend)
    queue = TriggerQueue(setup, CONFIG)
    for n in range(200):
        enqueue(queue, who=f"dev/c{n}")
    claimed: list[list[str]] = [[] for _ in range(4)]

    def claim_all(slot: int) -> None:
        own = open_backend(backend)
        try:
            q = TriggerQueue(own, CONFIG)
            me = WorkerRegistry(own).register(host="t", pid=slot)
            while leases := q.claim(me, 3):
                claimed[slot].extend(lease.job.id for lease in leases)
        finally:
            own.close()

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    everything = [job for part in claimed for job in part]
    setup.close()
    assert len(everything) == 200 and len(set(everything)) == 200


# -- threads --------------------------------------------------------------------------------


@pytest.fixture
def ctx(store: Any, clock: FakeClock) -> Context:
    context = Context(store=store, config=default_config(), clock=clock)
    context.identities.create("dev", "a")
    context.identities.create("dev", "b")
    return context


def test_messages_get_sequence_numbers_and_cursors_track_reads(ctx: Context) -> None:
    threads = Threads(ctx)
    thread = threads.create("design", ["dev/a", "dev/b", "person/ann"])
    threads.post(thread.id, "one", author="dev/a")
    threads.post(thread.id, "two\x1b[1m bold \x07", author="dev/b")
    [view] = threads.unread_for("dev/a")
    assert view.unread == 1  # the author has read its own message
    messages, cursor = threads.read(thread.id, "dev/a")
    assert [m.body for m in messages] == ["two\x1b[1m bold \x07"]  # stored as written
    assert cursor == 2 and threads.unread_for("dev/a") == []
    again, _ = threads.read(thread.id, "dev/a")
    assert again == []
    everything, _ = threads.read(thread.id, None)
    assert [m.seq for m in everything] == [1, 2]


def test_thread_bad_input_is_refused(ctx: Context) -> None:
    threads = Threads(ctx)
    thread = threads.create("t", ["dev/a"])
    with pytest.raises(NotFound):
        threads.post("th-missing", "x", author="dev/a")
    with pytest.raises(NotFound) as info:
        threads.post(thread.id, "x", author="dev/b")
    assert info.value.code == "not_participant"
    with pytest.raises(NotFound):
        threads.create("t", ["dev/ghost"])
    with pytest.raises(InvalidInput) as big:
        threads.post(thread.id, "x" * (64 * 1024 + 1), author="dev/a")
    assert big.value.code == "too_large"
    with pytest.raises(InvalidInput):
        threads.post(thread.id, "nul\x00", author="dev/a")
    threads.post(thread.id, "y" * (64 * 1024), author="dev/a")  # exactly the limit is fine
    threads.close(thread.id)
    with pytest.raises(IllegalTransition):
        threads.post(thread.id, "late", author="dev/a")
    assert threads.get(thread.id).last_seq == 1


def test_a_batch_completes_in_one_transaction_and_skips_lost_leases(
    queue: TriggerQueue, clock: FakeClock
) -> None:
    for n in range(4):
        enqueue(queue, who=f"dev/b{n}")
    me = worker(queue)
    leases = queue.claim(me, 4)
    queue.release(leases[0])
    assert queue.complete_many(leases, hop="noop", reason="noop", started_at=clock.now()) == 3
    tally = queue.attempt_tally()
    assert sorted(n for (_, outcome), n in tally.items() if outcome == "completed") == [1, 1, 1]
    assert queue.get(leases[0].job.id).state == JobState.QUEUED


def test_a_job_that_gave_up_is_reported_once_and_unresolved_until_a_later_job(
    queue: TriggerQueue, clock: FakeClock
) -> None:
    gave_up: list[str] = []
    queue.on_gave_up = gave_up.append
    job, _ = enqueue(queue)
    other, _ = enqueue(queue, who="dev/b")
    me = worker(queue)
    leases = {lease.job.id: lease for lease in queue.claim(me, 2)}
    queue.fail(leases[job.id], hop="live", reason="x", started_at=clock.now(), retryable=False)
    queue.complete(leases[other.id], hop="live", reason="ok", started_at=clock.now())
    assert gave_up == [job.id]

    def unresolved() -> list[str]:
        with queue.store.transaction(write=False) as tx:
            return [r["id"] for r in tx.all("trigger_jobs_unresolved", limit=10)]

    assert unresolved() == [job.id]
    clock.advance(1)
    enqueue(queue)  # a later job for the same thread and target resolves it
    assert unresolved() == []
