"""Processing one claimed trigger job: checks, safeguards, then the fallback chain.

    checks      thread gone/closed, target unknown/terminated/no longer a participant → cancelled;
                nothing unread any more → completed (hop `none`)
    safeguards  (skipped when forced) blocked pair → blocked; loop assessment → blocked;
                rate limits → deferred
    chain       live (collision window → deferred; busy screen → re-queued with backoff, dead
                past `job_ttl`) → resume ×N → spawn with the thread summary → escalated; every
                hop is recorded as an attempt with its classification. Before every hop the
                target is looked at again: terminated or stopped by an operator → cancelled;
                running again → re-queued (a running session is never replaced)

Policies decide; this module only gathers their inputs and executes their decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bosun.base.errors import NotFound
from bosun.core.records import IdentityStatus
from bosun.core.threads import Message, Threads, ThreadStatus
from bosun.triggers.delivery import Seams, SessionProbe, sanitise
from bosun.triggers.jobs import JobState
from bosun.triggers.pairs import load_pair, save_pair
from bosun.triggers.policies.collision import (
    CollisionAction,
    CollisionConfig,
    busy_retry_at,
    decide_collision,
    job_expired,
)
from bosun.triggers.policies.fallback import (
    STOPPED,
    TERMINATED,
    ChainConfig,
    ChainState,
    Hop,
    SessionState,
    next_hop,
)
from bosun.triggers.policies.loops import LoopConfig, assess_loop, record_turn
from bosun.triggers.policies.ratelimit import Bucket, BucketConfig, take_all
from bosun.triggers.summary import thread_summary, wake_text
from bosun.triggers.trigger import SYSTEM_CALLER

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.core.records import Identity
    from bosun.store.protocol import Tx
    from bosun.triggers.queue import Extra, Lease, TriggerQueue

SPAWN_PROMPT_BYTES = 16 * 1024
_ACTING = frozenset({Hop.LIVE, Hop.RESUME, Hop.SPAWN})


@dataclass(frozen=True)
class WakeConfig:
    collision: CollisionConfig
    loops: LoopConfig
    chain: ChainConfig
    target_bucket: BucketConfig
    thread_bucket: BucketConfig
    max_payload: int
    summary_messages: int
    include_closed: bool

    @classmethod
    def from_context(cls, ctx: Context) -> WakeConfig:
        cfg = ctx.config
        return cls(
            CollisionConfig(
                cfg.number("triggers.quiet_window"),
                cfg.number("triggers.recheck"),
                cfg.number("triggers.max_defer"),
                cfg.text("triggers.collision_timeout"),
                cfg.number("triggers.busy_backoff_cap"),
                cfg.number("triggers.job_ttl"),
            ),
            LoopConfig(
                cfg.integer("triggers.max_idle_turns"), cfg.integer("triggers.max_same_findings")
            ),
            ChainConfig(
                cfg.integer("triggers.max_resumes"), cfg.number("triggers.resume_stale_after")
            ),
            BucketConfig(cfg.number("triggers.target_rate"), cfg.integer("triggers.target_burst")),
            BucketConfig(cfg.number("triggers.thread_rate"), cfg.integer("triggers.thread_burst")),
            cfg.integer("triggers.max_payload"),
            cfg.integer("triggers.summary_messages"),
            cfg.flag("threads.include_closed"),
        )


class WakeProcessor:
    """Callable on a lease; always ends the attempt through the queue."""

    def __init__(self, ctx: Context, seams: Seams, config: WakeConfig | None = None) -> None:
        self.ctx = ctx
        self.seams = seams
        self.config = config or WakeConfig.from_context(ctx)
        self.threads = Threads(ctx)

    def __call__(self, lease: Lease, queue: TriggerQueue) -> None:
        job = lease.job
        started = self.ctx.clock.now()
        force = job.force

        def end(state: JobState, hop: str, reason: str, detail: str = "") -> None:
            queue.finish(
                lease, state, hop=hop, reason=reason, detail=detail or None, started_at=started
            )

        # -- checks -----------------------------------------------------------------------
        try:
            thread = self.threads.get(job.thread_id)
        except NotFound:
            return end(JobState.CANCELLED, "check", "thread_missing")
        if thread.status == ThreadStatus.CLOSED and not self.config.include_closed:
            return end(JobState.CANCELLED, "check", "thread_closed")
        identity = self.ctx.identities.find(job.target_role, job.target_name)
        if identity is None:
            return end(JobState.CANCELLED, "check", "target_unknown")
        if identity.status == IdentityStatus.TERMINATED:
            return end(
                JobState.CANCELLED,
                "check",
                "target_terminated",
                f"{identity.ref} was terminated ({identity.status_reason or 'no reason'})",
            )
        with self.ctx.store.transaction(write=False) as tx:
            member = self.threads.participant_in(tx, thread.id, job.target)
            latest_by_target = self.threads.last_message_by_in(tx, thread.id, job.target)
            recent = self.threads.recent_in(tx, thread.id, self.config.summary_messages)
        if member is None:
            return end(JobState.CANCELLED, "check", "target_not_participant")
        unread = thread.last_seq - member.read_seq
        if unread <= 0 and not force:
            queue.complete(
                lease,
                hop="none",
                reason="already_read",
                started_at=started,
                detail=f"{job.target} has read up to #{member.read_seq}",
            )
            return

        # -- safeguards -------------------------------------------------------------------
        if not force:
            blocked = self._assess_loops(identity, thread.id, latest_by_target)
            if blocked is not None:
                return end(JobState.BLOCKED, "safeguard", blocked[0], blocked[1])

        # -- the chain --------------------------------------------------------------------
        # Before every hop the target is looked at again: an operator may have stopped or
        # terminated it, or something may have revived it, while this job ran.
        latest = recent[-1] if recent else None
        # reconciliation's reason ("3 unread") only repeats what the text already says
        why = None if job.requested_by == SYSTEM_CALLER else job.reason
        text = sanitise(
            wake_text(thread, job.target, unread, latest, why),
            self.config.max_payload,
            single_line=True,
        )
        probe = self.seams.deliverer.probe(identity)
        chain = ChainState(
            session=probe.state,
            session_age=max(0.0, started - identity.last_seen),
            quarantined=identity.status == IdentityStatus.QUARANTINED,
            stopped=probe.stopped,
        )
        hops: list[str] = []
        rate_checked = force
        while True:
            if hops:
                looked = self._look_again(job.target_role, job.target_name, chain)
                if looked is None:
                    return end(JobState.CANCELLED, "check", "target_unknown")
                identity, probe, chain = looked
            decision = next_hop(chain, self.config.chain)
            if decision.hop in (Hop.RESUME, Hop.SPAWN) and probe.state == SessionState.LIVE:
                # revived meanwhile (not by this job): never replace a running session
                return self._requeue(
                    lease, queue, "session_running", f"{job.target} runs again; not replaced"
                )
            if decision.hop == Hop.LIVE:
                if self._collision_defers(lease, queue, probe, started):
                    return
                if probe.busy:
                    return self._requeue(
                        lease, queue, "target_busy", f"{job.target}'s screen is busy"
                    )
            if decision.hop in _ACTING and not rate_checked:
                wait = self._take_tokens(identity, thread.id)
                if wait is not None:
                    queue.defer(
                        lease,
                        run_after=started + wait,
                        hop="safeguard",
                        reason="rate_limited",
                        started_at=started,
                        deferred_since=job.deferred_since,
                        detail=f"rate limit: next token in {wait:.1f}s",
                    )
                    return
                rate_checked = True
            if decision.hop == Hop.LIVE:
                result = self.seams.deliverer.deliver(identity, text)
            elif decision.hop == Hop.RESUME:
                result = self.seams.resumer.resume(identity, text)
            elif decision.hop == Hop.SPAWN:
                summary = thread_summary(
                    thread,
                    job.target,
                    recent,
                    self.ctx.hooks.find(identity.role, identity.name),
                    why,
                )
                result = self.seams.spawner.spawn(identity, sanitise(summary, SPAWN_PROMPT_BYTES))
            elif decision.hop == Hop.REQUEUE:
                return self._requeue(
                    lease, queue, "target_busy", "; ".join(hops) or "the session was busy"
                )
            elif decision.hop == Hop.RETRY:
                queue.fail(
                    lease,
                    hop="live",
                    reason=decision.reason,
                    started_at=started,
                    detail="; ".join(hops),
                )
                return
            elif decision.hop == Hop.CANCEL:
                return end(
                    JobState.CANCELLED,
                    "chain",
                    decision.reason,
                    _held_detail(job.target, decision.reason, hops),
                )
            else:
                return end(
                    JobState.ESCALATED,
                    "escalate",
                    decision.reason,
                    "all hops failed: " + ("; ".join(hops) or decision.reason),
                )
            label = f"{decision.hop}" + (
                f" {chain.resumes + 1}" if decision.hop == Hop.RESUME else ""
            )
            if result.ok:
                queue.complete(
                    lease,
                    hop=str(decision.hop),
                    reason=decision.reason,
                    started_at=started,
                    detail=f"woken by {label}" + (f" ({result.detail})" if result.detail else ""),
                    extra=self._after_delivery(job.thread_id, identity, job.upto_seq),
                )
                return
            hops.append(
                f"{label}: {result.classification}"
                + (f" ({result.detail})" if result.detail else "")
            )
            queue.record_hop(
                lease,
                hop=str(decision.hop),
                outcome="failed",
                reason=result.classification,
                started_at=started,
                detail=result.detail or None,
            )
            chain = _advance(chain, decision.hop, result.classification)

    # -- helpers --------------------------------------------------------------------------

    def _look_again(
        self, role: str, name: str, chain: ChainState
    ) -> tuple[Identity, SessionProbe, ChainState] | None:
        """The target as it is now (None: it no longer exists), and the chain state with
        what an operator or the supervisor changed meanwhile."""
        identity = self.ctx.identities.find(role, name)
        if identity is None:
            return None
        probe = self.seams.deliverer.probe(identity)
        return (
            identity,
            probe,
            replace(
                chain,
                terminated=identity.status == IdentityStatus.TERMINATED,
                quarantined=identity.status == IdentityStatus.QUARANTINED,
                stopped=probe.stopped,
            ),
        )

    def _requeue(self, lease: Lease, queue: TriggerQueue, reason: str, detail: str) -> None:
        """The target is there but cannot take the message now: look again later, the pause
        doubling (not a failure, and the worker does not wait); dead past the job's TTL."""
        job = lease.job
        now = self.ctx.clock.now()
        config = self.config.collision
        if job_expired(now=now, created_at=job.created_at, config=config):
            queue.fail(
                lease,
                hop="live",
                reason=reason,
                started_at=now,
                retryable=False,
                detail=f"{detail}; still not free {_hours(now - job.created_at)} after the "
                f"job was created (triggers.job_ttl {_hours(config.job_ttl)})",
            )
            return
        since = job.deferred_since or now
        queue.defer(
            lease,
            run_after=busy_retry_at(now=now, busy_since=since, config=config),
            hop="live",
            reason=reason,
            started_at=now,
            deferred_since=since,
            detail=detail,
        )

    def _collision_defers(
        self, lease: Lease, queue: TriggerQueue, probe: SessionProbe, started: float
    ) -> bool:
        job = lease.job
        decision = decide_collision(
            now=started,
            last_activity=probe.last_activity,
            deferred_since=job.deferred_since,
            config=self.config.collision,
            force=job.force,
        )
        if decision.action == CollisionAction.DELIVER:
            return False
        if decision.action == CollisionAction.FAIL:
            queue.fail(
                lease,
                hop="live",
                reason="collision_timeout",
                started_at=started,
                retryable=False,
                detail="the session never went quiet",
            )
            return True
        assert decision.retry_at is not None
        queue.defer(
            lease,
            run_after=decision.retry_at,
            hop="live",
            reason="collision_busy",
            started_at=started,
            deferred_since=job.deferred_since or started,
            detail="the session was used recently",
        )
        return True

    def _assess_loops(
        self, identity: Identity, thread_id: str, msg: Message | None
    ) -> tuple[str, str] | None:
        hook = self.ctx.hooks.find(identity.role, identity.name)
        fingerprint = "|".join(
            (
                str(msg.seq if msg else 0),
                repr(hook.updated_at if hook else None),
                self.seams.progress.head(identity),
            )
        )
        with self.ctx.store.transaction() as tx:
            pair = load_pair(tx, thread_id, identity.role, identity.name)
            if pair.state.blocked:
                return "pair_blocked", f"blocked since earlier ({pair.state.blocked_reason})"
            assessment = assess_loop(
                pair.state,
                fingerprint=fingerprint,
                latest_seq=msg.seq if msg else None,
                latest_text=msg.body if msg else None,
                config=self.config.loops,
            )
            save_pair(tx, pair, assessment.state)
            if assessment.block is not None:
                tx.emit(
                    "trigger.pair_blocked",
                    identity.ref,
                    {"thread": thread_id, "reason": assessment.block, "detail": assessment.detail},
                )
                return assessment.block, assessment.detail
        return None

    def _take_tokens(self, identity: Identity, thread_id: str) -> float | None:
        """None when both buckets gave a token; else seconds to wait (nothing taken)."""
        keys = (f"target:{identity.ref}", f"thread:{thread_id}")
        configs = (self.config.target_bucket, self.config.thread_bucket)
        with self.ctx.store.transaction() as tx:
            buckets: list[tuple[Bucket | None, BucketConfig]] = []
            for key, config in zip(keys, configs, strict=True):
                tx.run("trigger_bucket_ensure", key=key, tokens=float(config.burst))
                row = tx.one("trigger_bucket_get", key=key)
                assert row is not None
                buckets.append((Bucket(float(row["tokens"]), row["updated_at"]), config))
            takes = take_all(buckets, tx.now)
            if not takes[0].allowed:
                return max(takes[0].wait, 0.001)
            for key, take in zip(keys, takes, strict=True):
                tx.run(
                    "trigger_bucket_save",
                    key=key,
                    tokens=take.bucket.tokens,
                    updated_at=take.bucket.updated_at,
                )
        return None

    def _after_delivery(self, thread_id: str, identity: Identity, upto_seq: int) -> Extra:
        def extra(tx: Tx) -> None:
            pair = load_pair(tx, thread_id, identity.role, identity.name)
            save_pair(tx, pair, record_turn(pair.state), triggered_seq=upto_seq)

        return extra


def _held_detail(target: str, reason: str, hops: list[str]) -> str:
    why = {
        TERMINATED: f"{target} was terminated",
        STOPPED: f"{target} was stopped by an operator; nothing automatic starts it again",
    }.get(reason, reason)
    return why + (f" (after {'; '.join(hops)})" if hops else "")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f}h" if seconds >= 3600 else f"{seconds:.0f}s"


def _advance(chain: ChainState, hop: Hop, classification: str) -> ChainState:
    if hop == Hop.LIVE:
        return replace(chain, live_failed=classification, session=SessionState.DEAD)
    if hop == Hop.RESUME:
        return replace(chain, resumes=chain.resumes + 1)
    return replace(chain, spawned=True)
