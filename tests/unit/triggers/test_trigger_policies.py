"""Every trigger policy, as a pure function of (state, now, config), with a fake clock."""

from __future__ import annotations

import random

import pytest

from bosun.base.clock import FakeClock
from bosun.base.errors import InvalidInput
from bosun.core.threads import ParticipantKind, ParticipantView, ThreadStatus
from bosun.triggers.delivery import sanitise
from bosun.triggers.policies.backoff import RetryConfig, decide_retry, retry_delay
from bosun.triggers.policies.collision import (
    CollisionAction,
    CollisionConfig,
    busy_retry_at,
    decide_collision,
    job_expired,
)
from bosun.triggers.policies.fallback import (
    ChainConfig,
    ChainState,
    Hop,
    SessionState,
    next_hop,
)
from bosun.triggers.policies.loops import (
    LoopConfig,
    PairState,
    assess_loop,
    normalise_finding,
    record_turn,
    unblock,
)
from bosun.triggers.policies.override import check_force
from bosun.triggers.policies.ratelimit import Bucket, BucketConfig, take_all, take_token
from bosun.triggers.policies.unread import reconcile_unread

# -- collision ------------------------------------------------------------------------------

CFG = CollisionConfig(quiet_window=20, recheck=5, max_defer=60)


def test_collision_delivers_when_quiet_for_the_whole_window() -> None:
    clock = FakeClock()
    last = clock.now()
    clock.advance(20)
    decision = decide_collision(
        now=clock.now(), last_activity=last, deferred_since=None, config=CFG
    )
    assert decision.action == CollisionAction.DELIVER and decision.reason == "quiet"


def test_collision_delivers_when_the_session_never_showed_activity() -> None:
    decision = decide_collision(
        now=FakeClock().now(), last_activity=None, deferred_since=None, config=CFG
    )
    assert decision.action == CollisionAction.DELIVER


def test_collision_defers_a_busy_session_and_rechecks_after_5s() -> None:
    clock = FakeClock()
    last = clock.now()
    clock.advance(1)
    decision = decide_collision(
        now=clock.now(), last_activity=last, deferred_since=None, config=CFG
    )
    assert decision.action == CollisionAction.DEFER and decision.reason == "busy"
    assert decision.retry_at == clock.now() + 5


def test_collision_rechecks_sooner_when_the_quiet_window_ends_first() -> None:
    clock = FakeClock()
    last = clock.now()
    clock.advance(18)
    decision = decide_collision(
        now=clock.now(), last_activity=last, deferred_since=None, config=CFG
    )
    assert decision.retry_at == last + 20


def test_collision_gives_up_waiting_after_60s_and_delivers() -> None:
    clock = FakeClock()
    since = clock.now()
    clock.advance(60)
    decision = decide_collision(
        now=clock.now(), last_activity=clock.now() - 1, deferred_since=since, config=CFG
    )
    assert decision.action == CollisionAction.DELIVER
    assert decision.reason == "collision_timeout"


def test_collision_timeout_fails_when_the_policy_says_fail() -> None:
    clock = FakeClock()
    since = clock.now()
    clock.advance(61)
    decision = decide_collision(
        now=clock.now(),
        last_activity=clock.now(),
        deferred_since=since,
        config=CollisionConfig(on_timeout="fail"),
    )
    assert decision.action == CollisionAction.FAIL and decision.reason == "collision_timeout"


def test_collision_never_defers_past_max_defer() -> None:
    clock = FakeClock()
    since = clock.now()
    clock.advance(58)
    decision = decide_collision(
        now=clock.now(), last_activity=clock.now(), deferred_since=since, config=CFG
    )
    assert decision.action == CollisionAction.DEFER
    assert decision.retry_at == since + 60


def test_forced_delivery_skips_the_collision_window() -> None:
    clock = FakeClock()
    decision = decide_collision(
        now=clock.now(), last_activity=clock.now(), deferred_since=None, config=CFG, force=True
    )
    assert decision.action == CollisionAction.DELIVER and decision.reason == "forced"


# -- rate limits ----------------------------------------------------------------------------


def test_token_bucket_allows_a_burst_then_waits_for_a_refill() -> None:
    clock = FakeClock()
    config = BucketConfig(rate_per_minute=6, burst=3)  # one token per 10 s
    bucket: Bucket | None = None
    for _ in range(3):
        take = take_token(bucket, clock.now(), config)
        assert take.allowed
        bucket = take.bucket
    denied = take_token(bucket, clock.now(), config)
    assert not denied.allowed and denied.wait == pytest.approx(10.0)
    clock.advance(9.9)
    assert not take_token(denied.bucket, clock.now(), config).allowed
    clock.advance(0.1)
    assert take_token(denied.bucket, clock.now(), config).allowed


def test_token_bucket_never_holds_more_than_its_burst() -> None:
    clock = FakeClock()
    config = BucketConfig(rate_per_minute=60, burst=2)
    bucket = Bucket(0.0, clock.now())
    clock.advance(3600)
    take = take_token(bucket, clock.now(), config)
    assert take.allowed and take.bucket.tokens == pytest.approx(1.0)


def test_target_and_thread_buckets_are_taken_all_or_nothing() -> None:
    clock = FakeClock()
    roomy = BucketConfig(60, 5)
    tight = BucketConfig(6, 1)
    empty_tight = Bucket(0.0, clock.now())
    takes = take_all([(None, roomy), (empty_tight, tight)], clock.now())
    assert not any(t.allowed for t in takes)
    assert takes[0].bucket.tokens == pytest.approx(5.0)  # nothing was taken from the roomy one
    assert takes[0].wait == pytest.approx(10.0)


# -- loop safeguards ------------------------------------------------------------------------

LOOPS = LoopConfig(max_idle_turns=20, max_same_findings=3)


def test_twenty_turns_without_progress_block_the_pair() -> None:
    state = PairState()
    for turn in range(20):
        assessment = assess_loop(
            state, fingerprint="same", latest_seq=None, latest_text=None, config=LOOPS
        )
        assert assessment.block is None, f"blocked early at turn {turn}"
        state = record_turn(assessment.state)
    blocked = assess_loop(
        state, fingerprint="same", latest_seq=None, latest_text=None, config=LOOPS
    )
    assert blocked.block == "no_progress" and blocked.state.blocked


def test_progress_resets_the_idle_turn_count() -> None:
    state = PairState()
    for _ in range(19):
        state = record_turn(
            assess_loop(
                state, fingerprint="a", latest_seq=None, latest_text=None, config=LOOPS
            ).state
        )
    moved = assess_loop(state, fingerprint="b", latest_seq=None, latest_text=None, config=LOOPS)
    assert moved.block is None and moved.state.turns == 0


def test_three_cycles_with_the_same_finding_block_the_pair() -> None:
    state = PairState()
    texts = [
        "Tests FAIL: 3 errors in auth.py",
        "tests fail: 4 errors in auth.py",
        "  tests   fail: 12 errors in auth.py.",
    ]
    decisions = []
    for seq, text in enumerate(texts, start=1):
        assessment = assess_loop(
            state, fingerprint=f"msg{seq}", latest_seq=seq, latest_text=text, config=LOOPS
        )
        decisions.append(assessment.block)
        state = record_turn(assessment.state)
    assert decisions == [None, None, "same_finding"]


def test_a_different_finding_restarts_the_count_and_an_old_message_counts_once() -> None:
    state = PairState()
    state = assess_loop(
        state, fingerprint="1", latest_seq=1, latest_text="x failed", config=LOOPS
    ).state
    state = assess_loop(
        state, fingerprint="1", latest_seq=1, latest_text="x failed", config=LOOPS
    ).state  # the same message seen again: not a new cycle
    assert state.same_findings == 1
    state = assess_loop(
        state, fingerprint="2", latest_seq=2, latest_text="y failed", config=LOOPS
    ).state
    assert state.same_findings == 1 and state.finding == "y failed"


def test_unblock_clears_the_counters() -> None:
    blocked = PairState(turns=20, same_findings=3, blocked=True, blocked_reason="no_progress")
    fresh = unblock(blocked)
    assert not fresh.blocked and fresh.turns == 0 and fresh.same_findings == 0


def test_findings_normalise_case_space_numbers_and_hashes() -> None:
    assert normalise_finding("Build FAILED at 3f9a2b1c, 12 errors!") == normalise_finding(
        "build   failed at deadbeef1, 7 errors"
    )


# -- backoff --------------------------------------------------------------------------------


def test_retry_delay_doubles_up_to_the_cap_with_bounded_jitter() -> None:
    config = RetryConfig(max_attempts=10, base=2, cap=30, jitter=0.1)
    rng = random.Random(7)
    delays = [retry_delay(n, config, rng) for n in range(1, 7)]
    for n, delay in enumerate(delays, start=1):
        raw = min(2 * 2 ** (n - 1), 30)
        assert raw * 0.9 <= delay <= raw * 1.1
    assert delays[-1] <= 33


def test_retry_without_jitter_is_exact() -> None:
    config = RetryConfig(max_attempts=5, base=1, cap=100, jitter=0)
    assert [retry_delay(n, config, random.Random()) for n in (1, 2, 3)] == [1, 2, 4]


def test_attempts_are_bounded_and_the_last_failure_is_final() -> None:
    clock = FakeClock()
    config = RetryConfig(max_attempts=3, base=1, cap=10, jitter=0)
    rng = random.Random(1)
    first = decide_retry(failures=1, now=clock.now(), config=config, rng=rng)
    assert first.retry and first.run_after == clock.now() + 1
    assert decide_retry(failures=2, now=clock.now(), config=config, rng=rng).retry
    last = decide_retry(failures=3, now=clock.now(), config=config, rng=rng)
    assert not last.retry and last.reason == "exhausted"


def test_a_non_retryable_failure_is_final_at_once() -> None:
    decision = decide_retry(
        failures=1, now=0.0, config=RetryConfig(), rng=random.Random(), retryable=False
    )
    assert not decision.retry and decision.reason == "not_retryable"


# -- fallback chain -------------------------------------------------------------------------

CHAIN = ChainConfig(max_resumes=2, resume_stale_after=12 * 3600)


def _walk(state: ChainState, failures: dict[Hop, str]) -> list[str]:
    """Follow the chain, failing each hop as told, until it stops."""
    from dataclasses import replace

    path = []
    while True:
        decision = next_hop(state, CHAIN)
        path.append(f"{decision.hop}:{decision.reason}")
        if decision.hop not in (Hop.LIVE, Hop.RESUME, Hop.SPAWN) or decision.hop not in failures:
            return path
        if decision.hop == Hop.LIVE:
            state = replace(state, live_failed=failures[Hop.LIVE], session=SessionState.DEAD)
        elif decision.hop == Hop.RESUME:
            state = replace(state, resumes=state.resumes + 1)
        else:
            state = replace(state, spawned=True)


def test_a_live_session_is_triggered_directly() -> None:
    assert _walk(ChainState(SessionState.LIVE, 10), {}) == ["live:session_live"]


def test_a_dead_pane_resumes_at_most_twice_then_spawns_then_escalates() -> None:
    path = _walk(
        ChainState(SessionState.LIVE, 10),
        {Hop.LIVE: "pane_dead", Hop.RESUME: "resume_failed", Hop.SPAWN: "spawn_failed"},
    )
    assert path == [
        "live:session_live",
        "resume:pane_dead",
        "resume:pane_dead",
        "spawn:resume_failed",
        "escalate:spawn_failed",
    ]


def test_a_dead_session_resumes_first() -> None:
    assert _walk(ChainState(SessionState.DEAD, 60), {}) == ["resume:session_dead"]


def test_a_session_stale_for_more_than_12h_skips_resume() -> None:
    path = _walk(ChainState(SessionState.DEAD, 12 * 3600 + 1), {Hop.SPAWN: "spawn_failed"})
    assert path == ["spawn:stale_session", "escalate:spawn_failed"]


def test_a_missing_session_is_spawned() -> None:
    assert _walk(ChainState(SessionState.MISSING, 5), {}) == ["spawn:no_session"]


def test_a_quarantined_identity_escalates_instead_of_spawning() -> None:
    assert _walk(ChainState(SessionState.MISSING, 5, quarantined=True), {}) == [
        "escalate:quarantined"
    ]


def test_a_terminated_identity_is_never_woken() -> None:
    assert _walk(ChainState(SessionState.LIVE, 5, terminated=True), {}) == ["cancel:terminated"]


def test_a_session_that_does_not_take_the_text_is_retried_not_replaced() -> None:
    # busy: looked at again later, without counting a failure; never resumed over
    assert _walk(ChainState(SessionState.LIVE, 5), {Hop.LIVE: "not_ready"}) == [
        "live:session_live",
        "requeue:not_ready",
    ]
    assert (
        _walk(ChainState(SessionState.LIVE, 5), {Hop.LIVE: "delivery_unverified"})[-1]
        == "retry:delivery_unverified"
    )


def test_an_identity_an_operator_stopped_is_never_woken_at_any_hop() -> None:
    for state in (
        ChainState(SessionState.DEAD, 5, stopped=True),
        ChainState(SessionState.DEAD, 5, stopped=True, live_failed="pane_dead"),
        ChainState(SessionState.DEAD, 5, stopped=True, resumes=1),
        ChainState(SessionState.DEAD, 5, stopped=True, quarantined=True),
    ):
        assert _walk(state, {}) == ["cancel:target_stopped"]


def test_a_busy_target_is_looked_at_again_with_a_doubling_pause_up_to_the_cap() -> None:
    config = CollisionConfig(recheck=5.0, busy_backoff_cap=60.0)
    start = 1000.0
    pauses = []
    now = start
    for _ in range(8):
        at = busy_retry_at(now=now, busy_since=start, config=config)
        pauses.append(at - now)
        now = at
    assert pauses == [5.0, 5.0, 10.0, 20.0, 40.0, 60.0, 60.0, 60.0]


def test_a_job_expires_once_its_ttl_has_passed() -> None:
    config = CollisionConfig(job_ttl=3600.0)
    assert not job_expired(now=4599.0, created_at=1000.0, config=config)
    assert job_expired(now=4600.0, created_at=1000.0, config=config)


# -- force ----------------------------------------------------------------------------------


def test_force_needs_a_reason() -> None:
    with pytest.raises(InvalidInput) as info:
        check_force(True, "  ")
    assert info.value.code == "force_without_reason"
    assert check_force(True, " human asked ") == "human asked"
    assert check_force(False, None) is None
    with pytest.raises(InvalidInput):
        check_force(False, "why without force")


# -- unread reconciliation ------------------------------------------------------------------


def _view(
    thread: str,
    who: str,
    read: int,
    last: int,
    *,
    kind: str = "identity",
    project: str = "p",
    status: str = "open",
) -> ParticipantView:
    role, name = who.split("/")
    return ParticipantView(
        thread, role, name, ParticipantKind(kind), read, project, ThreadStatus(status), last
    )


def test_no_unread_means_nothing_to_do() -> None:
    due, skipped = reconcile_unread(
        [_view("t1", "a/x", 4, 4)], project="p", triggered_seq={}, pending=set()
    )
    assert due == [] and skipped == []


def test_mixed_participants_yield_exactly_the_eligible_unread_ones_in_order() -> None:
    views = [
        _view("t2", "b/y", 0, 3),
        _view("t1", "a/x", 1, 3),
        _view("t1", "person/ann", 0, 3, kind="person"),
        _view("t1", "c/z", 3, 3),
        _view("t3", "a/x", 0, 1, project="other"),
        _view("t4", "a/x", 0, 2, status="closed"),
        _view("t5", "d/w", 0, 2),
    ]
    due, skipped = reconcile_unread(
        views, project="p", triggered_seq={}, pending={("t5", "d", "w")}
    )
    assert [(w.thread_id, w.target, w.unread) for w in due] == [("t1", "a/x", 2), ("t2", "b/y", 3)]
    assert {(s.thread_id, s.reason) for s in skipped} == {
        ("t1", "person"),
        ("t3", "other_project"),
        ("t4", "thread_closed"),
        ("t5", "pending"),
    }


def test_closed_threads_count_when_the_policy_allows() -> None:
    due, _ = reconcile_unread(
        [_view("t4", "a/x", 0, 2, status="closed")],
        project="p",
        triggered_seq={},
        pending=set(),
        include_closed=True,
    )
    assert len(due) == 1


def test_repeating_a_tick_without_new_messages_creates_nothing() -> None:
    views = [_view("t1", "a/x", 0, 2)]
    due, _ = reconcile_unread(views, project="p", triggered_seq={}, pending=set())
    marks = {("t1", "a", "x"): due[0].last_seq}
    again, skipped = reconcile_unread(views, project="p", triggered_seq=marks, pending=set())
    assert again == [] and skipped[0].reason == "already_triggered"
    newer = [_view("t1", "a/x", 0, 3)]
    assert len(reconcile_unread(newer, project="p", triggered_seq=marks, pending=set())[0]) == 1


def test_reconciliation_is_deterministic_whatever_the_input_order() -> None:
    views = [_view(f"t{i % 5}", f"r{i % 3}/n{i}", 0, i + 1) for i in range(30)]
    first = reconcile_unread(views, project="p", triggered_seq={}, pending=set())
    second = reconcile_unread(list(reversed(views)), project="p", triggered_seq={}, pending=set())
    assert first == second


# -- sanitising at delivery -----------------------------------------------------------------


def test_sanitise_strips_escapes_and_controls_and_bounds_the_size() -> None:
    text = "hi \x1b[31mred\x1b[0m \x07bell\x00 tab\tnew\nline \x1b]0;title\x07end"
    assert sanitise(text, 1000) == "hi red bell tab\tnew\nline end"
    assert sanitise(text, 1000, single_line=True) == "hi red bell tab new line end"
    long = "é" * 1000
    cut = sanitise(long, 101)
    assert len(cut.encode()) <= 101 and cut.endswith("[truncated]")
