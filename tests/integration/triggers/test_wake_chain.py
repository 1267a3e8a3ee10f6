"""trigger_participant, unread reconciliation and the wake processor on a real SQLite store,
with the runtime seam scripted (the tmux-backed seam is the runtime layer's; see the report).
Time is a FakeClock: collision windows, rate limits and staleness never sleep."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from bosun.base.clock import FakeClock
from bosun.base.config import default_config
from bosun.core.context import Context, memory_context
from bosun.core.records import Identity, IdentityStatus
from bosun.core.threads import Threads
from bosun.triggers.delivery import DeliveryResult, Seams, SessionProbe
from bosun.triggers.jobs import Action, JobState
from bosun.triggers.policies.fallback import SessionState
from bosun.triggers.reconcile import reconcile_tick
from bosun.triggers.trigger import list_blocked, queue_for, trigger_participant, unblock
from bosun.triggers.wake import WakeProcessor


@dataclass
class ScriptedRuntime:
    """The four seams, answering from a script and recording every call."""

    state: SessionState = SessionState.LIVE
    last_activity: float | None = None
    busy: bool = False
    stopped: bool = False
    deliver_results: list[DeliveryResult] = field(default_factory=list)
    resume_results: list[DeliveryResult] = field(default_factory=list)
    spawn_results: list[DeliveryResult] = field(default_factory=list)
    progress: str = ""
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def probe(self, identity: Identity) -> SessionProbe:
        return SessionProbe(self.state, self.last_activity, busy=self.busy, stopped=self.stopped)

    def _next(
        self, kind: str, identity: Identity, text: str, results: list[DeliveryResult]
    ) -> DeliveryResult:
        self.calls.append((kind, identity.ref, text))
        return results.pop(0) if results else DeliveryResult.delivered()

    def deliver(self, identity: Identity, text: str) -> DeliveryResult:
        result = self._next("deliver", identity, text, self.deliver_results)
        if result.classification in ("pane_dead", "target_gone"):
            self.state = SessionState.DEAD  # what the next probe finds
        return result

    def resume(self, identity: Identity, prompt: str) -> DeliveryResult:
        return self._next("resume", identity, prompt, self.resume_results)

    def spawn(self, identity: Identity, prompt: str) -> DeliveryResult:
        return self._next("spawn", identity, prompt, self.spawn_results)

    def head(self, identity: Identity) -> str:
        return self.progress


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ctx(clock: FakeClock) -> Iterator[Context]:
    config = default_config().with_overrides(triggers__target_burst=100, triggers__thread_burst=100)
    context = memory_context(clock, config)
    context.identities.create("dev", "a", runtime="sim", session_id="s-a")
    context.identities.create("dev", "b", runtime="sim", session_id="s-b")
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def rt() -> ScriptedRuntime:
    return ScriptedRuntime()


@pytest.fixture
def thread(ctx: Context) -> str:
    threads = Threads(ctx)
    created = threads.create("review", ["dev/a", "dev/b", "person/ann"])
    threads.post(created.id, "please look at \x1b[31mauth\x1b[0m", author="dev/b")
    return created.id


def run(ctx: Context, rt: ScriptedRuntime) -> None:
    queue = queue_for(ctx)
    [lease] = queue.claim("w-test", 1)
    WakeProcessor(ctx, Seams(rt, rt, rt, rt))(lease, queue)


def trigger(ctx: Context, thread: str, target: str = "dev/a", **kw: object) -> str:
    envelope = trigger_participant(ctx, target=target, thread_id=thread, **kw)  # type: ignore[arg-type]
    assert envelope.action == Action.ENQUEUED, envelope
    assert envelope.job_id is not None
    return envelope.job_id


def attempts(ctx: Context, job_id: str) -> list[tuple[str, str, str]]:
    return [(a.hop, a.outcome, a.reason) for a in queue_for(ctx).attempts(job_id)]


# -- trigger_participant ------------------------------------------------------------------------


def test_a_trigger_is_enqueued_once_while_pending(ctx: Context, thread: str) -> None:
    first = trigger_participant(ctx, target="dev/a", thread_id=thread, caller="dev/b")
    again = trigger_participant(ctx, target="dev/a", thread_id=thread, caller="dev/b")
    assert first.action == Action.ENQUEUED and first.reason == "session_live"
    assert again.job_id == first.job_id and again.existing and again.reason == "already_pending"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"thread_id": "th-none"}, "unknown_thread"),
        ({"caller": "dev/x"}, "caller_not_participant"),
        ({"target": "dev/nobody"}, "target_not_participant"),
        ({"force": True}, "force_without_reason"),
        ({"target": "Bad Name"}, "invalid_name"),
    ],
)
def test_bad_trigger_requests_are_rejected_with_a_reason(
    ctx: Context, thread: str, kwargs: dict[str, object], reason: str
) -> None:
    ctx.identities.create("dev", "x")
    args: dict[str, object] = {"target": "dev/a", "thread_id": thread, **kwargs}
    envelope = trigger_participant(ctx, **args)  # type: ignore[arg-type]
    assert envelope.action == Action.REJECTED and envelope.reason == reason
    assert envelope.job_id is None and envelope.message
    assert queue_for(ctx).list() == []


def test_a_person_or_an_unmanaged_identity_needs_a_fallback(ctx: Context, thread: str) -> None:
    person = trigger_participant(ctx, target="person/ann", thread_id=thread)
    assert person.action == Action.FALLBACK_REQUIRED and person.reason == "unmanaged_participant"
    ctx.identities.create("dev", "plain")
    Threads(ctx).add_participant(thread, "dev/plain")
    plain = trigger_participant(ctx, target="dev/plain", thread_id=thread)
    assert plain.reason == "no_managed_session"
    assert queue_for(ctx).get(plain.job_id or "").state == JobState.FALLBACK_REQUIRED


def test_closed_threads_and_terminated_targets_are_rejected(ctx: Context, thread: str) -> None:
    ctx.identities.mark_terminated("dev", "a", "done")
    assert trigger_participant(ctx, target="dev/a", thread_id=thread).reason == "target_terminated"
    Threads(ctx).close(thread)
    assert trigger_participant(ctx, target="dev/b", thread_id=thread).reason == "thread_closed"


# -- the chain ----------------------------------------------------------------------------------


def test_a_live_quiet_session_is_woken_with_sanitised_text(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    job = trigger(ctx, thread, reason="review \x07 needed")
    run(ctx, rt)
    done = queue_for(ctx).get(job)
    assert done.state == JobState.COMPLETED and done.hop == "live"
    [(kind, ref, text)] = rt.calls
    assert kind == "deliver" and ref == "dev/a"
    assert thread in text and "\x1b" not in text and "\x07" not in text
    assert f"bosun thread read {thread} --as dev/a" in text


def test_a_busy_session_defers_then_delivers(
    ctx: Context, thread: str, rt: ScriptedRuntime, clock: FakeClock
) -> None:
    job = trigger(ctx, thread)
    rt.last_activity = clock.now()
    run(ctx, rt)
    deferred = queue_for(ctx).get(job)
    assert deferred.state == JobState.QUEUED and deferred.deferred_since == clock.now()
    assert queue_for(ctx).claim("w", 1) == []  # not before the re-check
    clock.advance(5)
    rt.last_activity = clock.now() - 1  # still busy
    run(ctx, rt)
    assert queue_for(ctx).get(job).state == JobState.QUEUED and rt.calls == []
    clock.advance(20)  # quiet since 21 s
    run(ctx, rt)
    assert queue_for(ctx).get(job).state == JobState.COMPLETED
    assert [a[2] for a in attempts(ctx, job)] == [
        "collision_busy",
        "collision_busy",
        "session_live",
    ]


def test_a_session_that_never_goes_quiet_is_delivered_to_after_60s(
    ctx: Context, thread: str, rt: ScriptedRuntime, clock: FakeClock
) -> None:
    job = trigger(ctx, thread)
    for _ in range(13):
        rt.last_activity = clock.now()
        run(ctx, rt)
        if queue_for(ctx).get(job).state == JobState.COMPLETED:
            break
        clock.advance(5)
    assert queue_for(ctx).get(job).state == JobState.COMPLETED
    assert clock.now() - queue_for(ctx).get(job).created_at >= 60


def test_a_busy_screen_is_looked_at_again_later_until_the_jobs_ttl_then_dead(
    ctx: Context, thread: str, rt: ScriptedRuntime, clock: FakeClock
) -> None:
    job = trigger(ctx, thread)
    rt.busy = True
    run(ctx, rt)
    first = queue_for(ctx).get(job)
    assert (first.state, first.last_reason, first.failures) == (JobState.QUEUED, "target_busy", 0)
    assert first.run_after == clock.now() + 5  # the pause starts at `recheck`
    clock.advance(6 * 3600)
    run(ctx, rt)
    dead = queue_for(ctx).get(job)
    assert (dead.state, dead.last_reason) == (JobState.DEAD, "target_busy")
    assert "triggers.job_ttl" in (dead.outcome or "") and rt.calls == []


def test_a_stopped_target_is_cancelled_never_resumed(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    job = trigger(ctx, thread)
    rt.state, rt.stopped = SessionState.DEAD, True
    run(ctx, rt)
    done = queue_for(ctx).get(job)
    assert (done.state, done.last_reason) == (JobState.CANCELLED, "target_stopped")
    assert rt.calls == []


def test_a_dead_session_is_resumed(ctx: Context, thread: str, rt: ScriptedRuntime) -> None:
    job = trigger(ctx, thread)
    rt.deliver_results = [DeliveryResult.failed("pane_dead", "pane exited")]
    rt.resume_results = [DeliveryResult.failed("resume_failed", "no conversation")]
    run(ctx, rt)
    done = queue_for(ctx).get(job)
    assert done.state == JobState.COMPLETED and done.hop == "resume"
    assert "resume 2" in (done.outcome or "")
    assert attempts(ctx, job) == [
        ("live", "failed", "pane_dead"),
        ("resume", "failed", "resume_failed"),
        ("resume", "completed", "pane_dead"),
    ]


def test_a_missing_session_is_spawned_with_the_thread_summary(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    ctx.work.create("fix auth")
    work_id = ctx.work.list()[0].id
    ctx.hooks.pin("dev", "a", work_id)
    ctx.hooks.checkpoint("dev", "a", "tests half done")
    job = trigger(ctx, thread)
    rt.state = SessionState.MISSING
    run(ctx, rt)
    assert queue_for(ctx).get(job).hop == "spawn"
    [(kind, _, prompt)] = rt.calls
    assert kind == "spawn" and "please look at auth" in prompt.replace("[31m", "")
    assert work_id in prompt and "tests half done" in prompt and "\x1b" not in prompt


def test_a_session_stale_for_more_than_12h_is_spawned_without_resuming(
    ctx: Context, thread: str, rt: ScriptedRuntime, clock: FakeClock
) -> None:
    job = trigger(ctx, thread)
    clock.advance(12 * 3600 + 60)
    rt.state = SessionState.DEAD
    run(ctx, rt)
    assert [c[0] for c in rt.calls] == ["spawn"]
    assert queue_for(ctx).get(job).last_reason == "stale_session"


def test_when_every_hop_fails_the_job_escalates_and_says_why(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    job = trigger(ctx, thread)
    rt.deliver_results = [DeliveryResult.failed("target_gone")]
    rt.resume_results = [DeliveryResult.failed("resume_failed")] * 2
    rt.spawn_results = [DeliveryResult.failed("spawn_failed", "preset missing")]
    run(ctx, rt)
    done = queue_for(ctx).get(job)
    assert done.state == JobState.ESCALATED and done.hop == "escalate"
    assert done.outcome == (
        "all hops failed: live: target_gone; resume 1: resume_failed; "
        "resume 2: resume_failed; spawn: spawn_failed (preset missing)"
    )
    assert len(attempts(ctx, job)) == 5


def test_a_quarantined_identity_escalates_without_spawning(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    job = trigger(ctx, thread)
    ctx.identities.set_status("dev", "a", IdentityStatus.QUARANTINED, "crash loop")
    run(ctx, rt)
    assert rt.calls == []
    assert queue_for(ctx).get(job).state == JobState.ESCALATED
    assert queue_for(ctx).get(job).last_reason == "quarantined"


def test_a_session_that_does_not_take_the_text_is_retried(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    job = trigger(ctx, thread)
    rt.deliver_results = [DeliveryResult.failed("delivery_unverified", "still in the composer")]
    run(ctx, rt)
    retry = queue_for(ctx).get(job)
    assert retry.state == JobState.RETRY and retry.failures == 1


def test_a_session_that_turned_busy_is_requeued_not_failed_nor_replaced(
    ctx: Context, thread: str, rt: ScriptedRuntime, clock: FakeClock
) -> None:
    job = trigger(ctx, thread)
    rt.deliver_results = [DeliveryResult.failed("not_ready", "busy screen")]
    run(ctx, rt)
    again = queue_for(ctx).get(job)
    assert (again.state, again.failures, again.last_reason) == (JobState.QUEUED, 0, "target_busy")
    assert [c[0] for c in rt.calls] == ["deliver"]  # no resume over a working session
    clock.advance(60)
    run(ctx, rt)
    assert queue_for(ctx).get(job).state == JobState.COMPLETED


def test_a_job_whose_target_was_terminated_is_cancelled(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    job = trigger(ctx, thread)
    ctx.identities.mark_terminated("dev", "a", "retired")
    run(ctx, rt)
    assert queue_for(ctx).get(job).state == JobState.CANCELLED
    assert queue_for(ctx).get(job).last_reason == "target_terminated" and rt.calls == []


def test_a_job_for_a_thread_closed_meanwhile_is_cancelled(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    job = trigger(ctx, thread)
    Threads(ctx).close(thread)
    run(ctx, rt)
    assert queue_for(ctx).get(job).last_reason == "thread_closed"


def test_a_participant_who_read_meanwhile_is_not_woken(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    job = trigger(ctx, thread)
    Threads(ctx).read(thread, "dev/a")
    run(ctx, rt)
    assert queue_for(ctx).get(job).hop == "none" and rt.calls == []


# -- safeguards ---------------------------------------------------------------------------------


def test_twenty_no_progress_turns_block_the_pair_until_unblocked(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    threads = Threads(ctx)
    for turn in range(21):
        threads.post(thread, f"ping {turn}", author="dev/b")
        job = trigger(ctx, thread)
        run(ctx, rt)
    assert queue_for(ctx).get(job).state == JobState.BLOCKED
    assert len(rt.calls) == 20
    [pair] = list_blocked(ctx)
    assert pair.target == "dev/a" and pair.state.blocked_reason == "no_progress"
    threads.post(thread, "still there?", author="dev/b")
    refused = trigger_participant(ctx, target="dev/a", thread_id=thread)
    assert refused.action == Action.REJECTED and refused.reason == "pair_blocked"
    forced = trigger(ctx, thread, force=True, why="operator checked the agent by hand")
    run(ctx, rt)
    assert queue_for(ctx).get(forced).state == JobState.COMPLETED
    assert (
        ctx.events.tail(kind="trigger.forced")[-1].data["why"]
        == "operator checked the agent by hand"
    )
    unblock(ctx, "dev/a", thread)
    assert list_blocked(ctx) == []
    threads.post(thread, "and now?", author="dev/b")
    trigger(ctx, thread)


def test_three_cycles_with_the_same_finding_block_the_pair(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    threads = Threads(ctx)
    states = []
    for n in range(3):
        threads.post(thread, f"Tests fail: {n + 2} errors", author="dev/a")
        threads.post(thread, "try again", author="dev/b")
        job = trigger(ctx, thread)
        run(ctx, rt)
        states.append(queue_for(ctx).get(job).state)
    assert states == [JobState.COMPLETED, JobState.COMPLETED, JobState.BLOCKED]
    assert list_blocked(ctx)[0].state.blocked_reason == "same_finding"


def test_rate_limits_defer_triggers_to_a_busy_target(clock: FakeClock, rt: ScriptedRuntime) -> None:
    config = default_config().with_overrides(triggers__target_burst=2, triggers__target_rate=6)
    ctx = memory_context(clock, config)
    try:
        ctx.identities.create("dev", "a", runtime="sim", session_id="s")
        ctx.identities.create("dev", "b", runtime="sim", session_id="s")
        threads = Threads(ctx)
        ids = [threads.create(f"t{n}", ["dev/a", "dev/b"]).id for n in range(3)]
        jobs = []
        for tid in ids:
            threads.post(tid, "hi", author="dev/b")
            jobs.append(trigger(ctx, tid))
            run(ctx, rt)
        states = [queue_for(ctx).get(j).state for j in jobs]
        assert states == [JobState.COMPLETED, JobState.COMPLETED, JobState.QUEUED]
        assert queue_for(ctx).get(jobs[2]).last_reason == "rate_limited"
        clock.advance(10)
        run(ctx, rt)
        assert queue_for(ctx).get(jobs[2]).state == JobState.COMPLETED
    finally:
        ctx.close()


# -- reconciliation -----------------------------------------------------------------------------


def test_reconciliation_wakes_unread_participants_once_per_new_message(
    ctx: Context, thread: str, rt: ScriptedRuntime
) -> None:
    first = reconcile_tick(ctx)
    assert [(e.action, e.reason) for e in first.enqueued] == [(Action.ENQUEUED, "session_live")]
    assert reconcile_tick(ctx).enqueued == []  # pending
    run(ctx, rt)
    assert reconcile_tick(ctx).enqueued == []  # nothing new since the trigger
    Threads(ctx).post(thread, "one more", author="dev/b")
    assert len(reconcile_tick(ctx).enqueued) == 1
    assert {s.reason for s in reconcile_tick(ctx).skipped} >= {"person", "pending"}
