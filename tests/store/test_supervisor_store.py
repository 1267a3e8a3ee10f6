"""The supervisor's tables on both backends: recovery attempts, the resume queue, guard
reports and patrol nudges (contract tests, run against SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends import open_backend
from bosun.base.clock import FakeClock
from bosun.base.config import default_config
from bosun.base.errors import Conflict, IllegalTransition, NotFound, StoreError
from bosun.core.context import Context
from bosun.supervisor import recovery_log as rlog
from bosun.supervisor.guards import guard_posture, report_guard
from bosun.supervisor.policies.posture import attention_line
from bosun.supervisor.policies.detect import Condition
from bosun.supervisor.policies.ladder import Outcome, Strategy
from bosun.supervisor.policies.patrol import Compliance, ComplianceResult
from bosun.supervisor.policies.posture import Posture
from bosun.supervisor.policies.resume import (
    DrainFacts,
    EndCause,
    EntryStatus,
    ResumeConfig,
    SessionEnding,
)
from bosun.supervisor.resume_queue import ResumeQueue

ID = "polecat/toast"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ctx(backend: tuple[str, str], clock: FakeClock) -> Iterator[Context]:
    context = Context(store=open_backend(backend, clock), config=default_config(), clock=clock)
    try:
        yield context
    finally:
        context.close()


def events(ctx: Context, prefix: str) -> list[tuple[str, str, dict[str, object]]]:
    return [(e.kind, e.subject, e.data) for e in ctx.events.since(0, kind=prefix + "*")]


def test_the_migration_creates_the_supervisor_tables(ctx: Context) -> None:
    tables = {entry[1] for entry in ctx.store.schema_dump()}
    assert {"recovery_attempts", "resume_queue", "guard_reports", "patrol_nudges"} <= tables


# -- recovery attempts --------------------------------------------------------------------


def test_attempts_are_recorded_settled_and_read_back_with_events(
    ctx: Context, clock: FakeClock
) -> None:
    with ctx.store.transaction() as tx:
        first = rlog.begin_attempt(
            tx,
            ID,
            Condition.STALLED,
            Strategy.NUDGE,
            0,
            detected_at=clock.now() - 1,
            evidence={"quiet_for_s": 601},
        )
    clock.advance(30)
    with ctx.store.transaction() as tx:
        assert [a.id for a in rlog.pending_attempts(tx)] == [first.id]
        rlog.settle_attempt(tx, first.id or 0, Outcome.FAILURE, "no progress in 120s")
    with ctx.store.transaction() as tx:
        second = rlog.begin_attempt(
            tx, ID, Condition.STALLED, Strategy.SEANCE_RESTART, 1, detected_at=clock.now()
        )
        history = rlog.attempt_history(tx, ID)
        assert rlog.pending_attempts(tx) == [second]
    assert [(a.strategy, a.outcome) for a in history] == [
        (Strategy.NUDGE, Outcome.FAILURE),
        (Strategy.SEANCE_RESTART, Outcome.PENDING),
    ]
    assert history[0].decided_at == history[0].started_at + 30
    kinds = [k for k, _, _ in events(ctx, "supervisor.recovery_")]
    assert kinds == [
        "supervisor.recovery_started",
        "supervisor.recovery_failure",
        "supervisor.recovery_started",
    ]
    started = events(ctx, "supervisor.recovery_started")[0][2]
    assert started["evidence"] == {"quiet_for_s": 601} and started["strategy"] == "nudge"


def test_an_attempt_is_settled_once(ctx: Context) -> None:
    with ctx.store.transaction() as tx:
        attempt = rlog.begin_attempt(tx, ID, Condition.CRASHED, Strategy.SEANCE_RESTART, 0)
        rlog.settle_attempt(tx, attempt.id or 0, Outcome.SUCCESS)
    with pytest.raises(IllegalTransition), ctx.store.transaction() as tx:
        rlog.settle_attempt(tx, attempt.id or 0, Outcome.FAILURE)
    with pytest.raises(NotFound), ctx.store.transaction() as tx:
        rlog.settle_attempt(tx, 999_999, Outcome.FAILURE)


def test_a_rolled_back_attempt_leaves_no_row_and_no_event(ctx: Context) -> None:
    with pytest.raises(RuntimeError), ctx.store.transaction() as tx:
        rlog.begin_attempt(tx, ID, Condition.CRASHED, Strategy.SEANCE_RESTART, 0)
        raise RuntimeError("the spawn failed before commit")
    with ctx.store.transaction(write=False) as tx:
        assert rlog.attempt_history(tx, ID) == []
    assert events(ctx, "supervisor.") == []


def test_restart_history_counts_restarting_strategies_only(ctx: Context, clock: FakeClock) -> None:
    for strategy in (
        Strategy.NUDGE,
        Strategy.SEANCE_RESTART,
        Strategy.ESCALATE,
        Strategy.CONTEXT_CYCLE,
    ):
        with ctx.store.transaction() as tx:
            rlog.begin_attempt(
                tx, ID, Condition.CRASHED, strategy, 0, detected_at=clock.now() - 0.5
            )
        clock.advance(10)
    with ctx.store.transaction(write=False) as tx:
        restarts = rlog.restart_history(tx, ID)
    assert len(restarts) == 2
    assert all(r.restarted_at - r.crashed_at == pytest.approx(0.5) for r in restarts)


# -- the resume queue ---------------------------------------------------------------------


def ending(cause: EndCause = EndCause.REAPED, worktree: str | None = None) -> SessionEnding:
    return SessionEnding(ID, cause, True, "bo-1", worktree, {"dirty_worktree": True})


def facts(**kw: object) -> DrainFacts:
    base: dict[str, object] = dict(
        live_session=False,
        worktree_exists=True,
        identity_status="crashed",
        operator_stopped=False,
        hook_unfinished=True,
    )
    base.update(kw)
    return DrainFacts(**base)  # type: ignore[arg-type]


def test_one_open_entry_per_identity_even_at_the_database_level(ctx: Context) -> None:
    queue = ResumeQueue(ctx, ResumeConfig())
    decision, entry = queue.consider(ending())
    assert decision.enqueue and entry is not None and entry.status == EntryStatus.QUEUED
    again, none = queue.consider(ending())
    assert not again.enqueue and none is None and entry.id in again.reason
    with pytest.raises(StoreError), ctx.store.transaction() as tx:
        tx.run(
            "resume_insert",
            id="rq-dup",
            stable_key=entry.key,
            role="polecat",
            name="toast",
            cause="reaped",
            work_id=None,
            worktree=None,
            evidence="{}",
            expires_at=tx.now + 10,
        )
    kinds = [k for k, _, _ in events(ctx, "resume.")]
    assert kinds == ["resume.enqueued", "resume.skipped"]


def test_revival_lifecycle_survives_reopening_the_store(
    backend: tuple[str, str], clock: FakeClock
) -> None:
    config = ResumeConfig()
    with Context(store=open_backend(backend, clock), config=default_config(), clock=clock) as ctx:
        _, entry = ResumeQueue(ctx, config).consider(ending())
        assert entry is not None
        starting = ResumeQueue(ctx, config).next_revival(lambda e: facts())
        assert starting is not None and starting.status == EntryStatus.STARTING
    # the supervisor died mid-revival; a new one opens the store
    clock.advance(5)
    with Context(store=open_backend(backend, clock), config=default_config(), clock=clock) as ctx:
        queue = ResumeQueue(ctx, config)
        [recovered] = queue.recover_after_restart()
        assert recovered.status == EntryStatus.QUEUED and recovered.attempts == 1
        assert "restarted" in (recovered.last_error or "")
        assert queue.next_revival(lambda e: facts()) is None  # backing off 60 s
        clock.advance(60)
        again = queue.next_revival(lambda e: facts())
        assert again is not None and again.attempts == 2
        revived = queue.record_result(again.id, True)
        assert revived.status == EntryStatus.REVIVED
        assert [e.status for e in queue.list()] == [EntryStatus.REVIVED]
        kinds = [k for k, _, _ in events(ctx, "resume.")]
        assert kinds == [
            "resume.enqueued",
            "resume.starting",
            "resume.attempt_failed",
            "resume.starting",
            "resume.revived",
        ]


def test_drain_invalidates_with_the_reason_and_revives_at_most_one(
    ctx: Context, clock: FakeClock
) -> None:
    queue = ResumeQueue(ctx, ResumeConfig())
    for name in ("a", "b", "c"):
        queue.consider(SessionEnding(f"polecat/{name}", EndCause.EXTERNAL, True))
        clock.advance(1)
    seen: list[str] = []

    def check(entry: object) -> DrainFacts:
        seen.append(entry.identity)  # type: ignore[attr-defined]
        return facts(live_session=entry.identity == "polecat/a")  # type: ignore[attr-defined]

    chosen = queue.next_revival(check)
    assert chosen is not None and chosen.identity == "polecat/b"
    assert seen == ["polecat/a", "polecat/b"]  # c waits for a later tick
    statuses = {e.identity: (e.status, e.reason) for e in queue.list()}
    assert statuses["polecat/a"] == (EntryStatus.INVALIDATED, "a live session already exists")
    assert statuses["polecat/c"][0] == EntryStatus.QUEUED


def test_entries_expire_and_the_breaker_opens_after_consecutive_failures(
    ctx: Context, clock: FakeClock
) -> None:
    config = ResumeConfig(max_attempts=1, breaker_threshold=2, entry_ttl=3600)
    queue = ResumeQueue(ctx, config)
    for name in ("a", "b", "c"):
        queue.consider(SessionEnding(f"polecat/{name}", EndCause.REAPED, True))
    for _ in range(2):
        entry = queue.next_revival(lambda e: facts())
        assert entry is not None
        assert queue.record_result(entry.id, False, "spawn failed").status == EntryStatus.GAVE_UP
    assert queue.summary()["breaker_open"] is True
    assert queue.next_revival(lambda e: facts()) is None
    clock.advance(3600)
    assert queue.next_revival(lambda e: facts()) is None
    [expired] = queue.list("gave_up")[2:]
    assert expired.reason == "expired before it could be revived"


def test_cancel_and_requeue(ctx: Context) -> None:
    queue = ResumeQueue(ctx, ResumeConfig())
    _, entry = queue.consider(ending())
    assert entry is not None
    cancelled = queue.cancel(entry.id)
    assert cancelled.status == EntryStatus.CANCELLED
    with pytest.raises(IllegalTransition):
        queue.cancel(entry.id)
    _, other = queue.consider(ending())
    assert other is not None
    with pytest.raises(Conflict, match=other.id):
        queue.requeue(entry.id)
    queue.cancel(other.id)
    requeued = queue.requeue(entry.id)
    assert requeued.status == EntryStatus.QUEUED and requeued.attempts == 0
    with pytest.raises(NotFound):
        queue.requeue("rq-missing")


def test_dry_run_records_would_revive_once_and_spawns_nothing(ctx: Context) -> None:
    queue = ResumeQueue(ctx, ResumeConfig(dry_run=True))
    queue.consider(ending())
    assert queue.next_revival(lambda e: facts()) is None
    assert queue.next_revival(lambda e: facts()) is None
    assert [k for k, _, _ in events(ctx, "resume.would_revive")] == ["resume.would_revive"]
    assert queue.list()[0].status == EntryStatus.QUEUED


def test_the_resurrection_limit_reads_past_revivals(ctx: Context) -> None:
    queue = ResumeQueue(ctx, ResumeConfig())
    for _ in range(2):
        _, entry = queue.consider(ending())
        assert entry is not None
        started = queue.next_revival(lambda e: facts())
        assert started is not None
        queue.record_result(started.id, True)
    decision, none = queue.consider(ending())
    assert none is None and "limit 2" in decision.reason


# -- guard reports ------------------------------------------------------------------------


def test_guard_reports_upsert_and_posture(ctx: Context, clock: FakeClock) -> None:
    with ctx.store.transaction() as tx:
        report_guard(tx, "patrol", "host-a", enabled=True, cadence=1.0)
        report_guard(
            tx, "host_lock", "host-a", enabled=False, cadence=1.0, error="lock held by host 'old'"
        )
    clock.advance(2)
    with ctx.store.transaction() as tx:
        report_guard(tx, "patrol", "host-a", enabled=True, cadence=1.0)
        rows = {r.guard: r for r in guard_posture(tx, ctx.config, tx.now)}
    assert rows["patrol"].posture == Posture.ON_CONFIRMED
    assert rows["host_lock"].posture == Posture.ERRORED
    assert rows["resume_queue"].posture == Posture.OFF_RUNTIME_DIVERGENT
    assert rows["resume_queue"].host is None
    clock.advance(10)
    with ctx.store.transaction() as tx:
        rows = {r.guard: r for r in guard_posture(tx, ctx.config, tx.now)}
        report_guard(tx, "host_lock", "host-a", enabled=True, cadence=1.0)
    assert rows["patrol"].posture == Posture.ON_STALE
    assert [k for k, _, _ in events(ctx, "guard.")] == ["guard.errored", "guard.recovered"]


def test_an_open_resume_breaker_shows_as_tripped_loudly(ctx: Context, clock: FakeClock) -> None:
    queue = ResumeQueue(ctx)  # the project's settings, as the supervisor and `guards` read them
    threshold = queue.config.breaker_threshold
    for n in range(threshold):
        queue.consider(SessionEnding(f"polecat/n{n}", EndCause.REAPED, True))
        entry = queue.next_revival(lambda e: facts())
        assert entry is not None
        queue.record_result(entry.id, False, "spawn failed")
    with ctx.store.transaction() as tx:
        report_guard(tx, "resume_queue", "host-a", enabled=True, cadence=1.0)
        rows = guard_posture(tx, ctx.config, tx.now)
    [row] = [r for r in rows if r.guard == "resume_queue"]
    assert row.posture == Posture.TRIPPED and row.needs_attention
    line = attention_line(rows)
    assert line is not None and f"breaker OPEN after {threshold} failed revivals" in line
    clock.advance(queue.config.breaker_cooldown + 1)  # half-open: one attempt may go
    with ctx.store.transaction() as tx:
        report_guard(tx, "resume_queue", "host-a", enabled=True, cadence=1.0)
        [row] = [r for r in guard_posture(tx, ctx.config, tx.now) if r.guard == "resume_queue"]
    assert row.posture == Posture.ON_CONFIRMED


# -- patrol nudges ------------------------------------------------------------------------


def test_a_delivered_nudge_is_never_delivered_again_and_gets_one_response(
    ctx: Context, clock: FakeClock, tmp_path: Path
) -> None:
    with ctx.store.transaction() as tx:
        nudge = rlog.record_nudge(tx, ID, "Run `bosun prime`…", work_id="bo-1", phase="executing")
        assert rlog.last_patrol(tx, ID) is None
    with ctx.store.transaction() as tx:
        rlog.mark_delivered(tx, nudge.id)
    with pytest.raises(Conflict), ctx.store.transaction() as tx:
        rlog.mark_delivered(tx, nudge.id)
    clock.advance(20)
    log = tmp_path / "logs" / "patrol.jsonl"
    with ctx.store.transaction() as tx:
        assert [n.id for n in rlog.awaiting_response(tx)] == [nudge.id]
        assert rlog.last_patrol(tx, ID) == clock.now() - 20
        rlog.record_response(
            tx,
            nudge.id,
            ComplianceResult(
                Compliance.COMPLIED, {"response": "heartbeat", "after_s": 19.0}, clock.now() - 1
            ),
            patrol_log=log,
        )
    with pytest.raises(Conflict), ctx.store.transaction() as tx:
        rlog.record_response(tx, nudge.id, ComplianceResult(Compliance.IGNORED, {}))
    [line] = log.read_text().splitlines()
    pair = json.loads(line)
    assert pair["response"] == "complied" and pair["identity"] == ID
    assert pair["nudged_at"] is not None and pair["responded_at"] is not None
    assert [k for k, _, _ in events(ctx, "supervisor.patrol_")] == [
        "supervisor.patrol_nudged",
        "supervisor.patrol_complied",
    ]


def test_after_a_crash_undelivered_nudges_are_abandoned_not_resent(
    ctx: Context, clock: FakeClock
) -> None:
    with ctx.store.transaction() as tx:
        nudge = rlog.record_nudge(tx, ID, "Run `bosun prime`…")
    clock.advance(3)  # the supervisor died between recording and marking delivered
    with ctx.store.transaction() as tx:
        [abandoned] = rlog.abandon_undelivered(tx)
        assert abandoned.id == nudge.id
        assert rlog.abandon_undelivered(tx) == []
        # patrol waits a full interval after a nudge that may have been typed
        assert rlog.last_patrol(tx, ID) == nudge.created_at
    with pytest.raises(Conflict), ctx.store.transaction() as tx:
        rlog.mark_delivered(tx, nudge.id)
