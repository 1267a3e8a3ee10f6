"""trigger_participant: validate a request to wake a thread participant and persist its job.

The same operation serves the CLI (`bosun trigger`), the MCP server and the web API. It
answers an `Envelope`: `enqueued` (a job will run; repeating the request while it is pending
returns the same job), `fallback_required` (bosun cannot drive the target, e.g. a person or an
identity with no managed session; the job is recorded in that terminal state) or `rejected`
(with a reason code, a one-line message and a hint).

An enqueued envelope's reason says what the registry knows of the target's session:
`session_live`, `session_stale`, `session_ended` (its last session ended), `session_missing`,
`quarantined`, `forced` or `already_pending`. The worker probes the session itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bosun.base.errors import BosunError, InvalidInput, NotFound
from bosun.base.ids import trace_id as new_trace_id
from bosun.base.names import check_text, split_identity
from bosun.core.records import Identity, IdentityStatus
from bosun.core.threads import ParticipantKind, Threads, ThreadStatus, operator_ref
from bosun.triggers.escalation import escalate_job
from bosun.triggers.jobs import Action, Envelope, JobState
from bosun.triggers.pairs import blocked_pairs, load_pair, save_pair
from bosun.triggers.policies.loops import unblock as unblock_state
from bosun.triggers.policies.override import check_force
from bosun.triggers.queue import QueueConfig, TriggerQueue

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx
    from bosun.triggers.pairs import PairRecord

SYSTEM_CALLER = "bosun/reconcile"


class Rejected(InvalidInput):
    """A trigger request refused; `code` is the envelope's reason."""


def queue_for(ctx: Context) -> TriggerQueue:
    """The project's queue; a job that ends dead or escalated is escalated to the operator."""
    queue = TriggerQueue(ctx.store, QueueConfig.from_settings(ctx.config.get))
    queue.on_gave_up = lambda job_id: escalate_job(ctx, queue.get(job_id))
    return queue


def trigger_participant(
    ctx: Context,
    *,
    target: str,
    thread_id: str,
    caller: str | None = None,
    reason: str | None = None,
    force: bool = False,
    why: str | None = None,
    trace_id: str | None = None,
    queue: TriggerQueue | None = None,
    on_behalf_of: str | None = None,
) -> Envelope:
    """`caller` None is the operator (a person at the CLI, or bosun itself when
    `on_behalf_of` names it); else a `role/name` participant of the thread."""
    trace = trace_id or new_trace_id()
    queue = queue or queue_for(ctx)
    try:
        with ctx.store.transaction() as tx:
            return _trigger_in(
                ctx,
                tx,
                queue,
                target=target,
                thread_id=thread_id,
                caller=caller,
                reason=reason,
                force=force,
                why=why,
                trace=trace,
                requested_by=caller or on_behalf_of or operator_ref(),
            )
    except BosunError as exc:
        if not isinstance(exc, InvalidInput):
            raise
        envelope = Envelope(Action.REJECTED, exc.code, None, trace, exc.message, exc.hint)
        with ctx.store.transaction() as tx:
            tx.emit(
                "trigger.rejected",
                str(target)[:200],
                {
                    "thread": str(thread_id)[:200],
                    "caller": caller or operator_ref(),
                    "reason": exc.code,
                    "message": exc.message,
                    "trace_id": trace,
                },
            )
        return envelope


def _trigger_in(
    ctx: Context,
    tx: Tx,
    queue: TriggerQueue,
    *,
    target: str,
    thread_id: str,
    caller: str | None,
    reason: str | None,
    force: bool,
    why: str | None,
    trace: str,
    requested_by: str,
) -> Envelope:
    forced_why = check_force(force, why)
    if reason is not None:
        check_text(reason, "reason", 4096)
    threads = Threads(ctx)
    try:
        thread = threads.get_in(tx, thread_id)
    except NotFound as exc:
        raise Rejected(exc.message, exc.hint, code="unknown_thread") from None
    include_closed = ctx.config.flag("threads.include_closed")
    if thread.status == ThreadStatus.CLOSED and not include_closed:
        raise Rejected(
            f"thread {thread.id} is closed", "open a new thread for new work", code="thread_closed"
        )
    if caller is not None:
        split_identity(caller)
        if threads.participant_in(tx, thread.id, caller) is None:
            raise Rejected(
                f"{caller} is not a participant of thread {thread.id} and may not "
                "trigger its participants",
                "only participants of the thread or an operator may trigger",
                code="caller_not_participant",
            )
    role, name = split_identity(target)
    member = threads.participant_in(tx, thread.id, target)
    if member is None:
        raise Rejected(
            f"{target} is not a participant of thread {thread.id}",
            f"see `bosun thread participants {thread.id}`",
            code="target_not_participant",
        )
    if member.kind == ParticipantKind.PERSON:
        return _fallback(
            queue,
            tx,
            thread.id,
            role,
            name,
            requested_by,
            reason,
            forced_why,
            trace,
            thread.last_seq,
            "unmanaged_participant",
            f"{target} is a person; bosun cannot wake people",
        )
    try:
        identity = ctx.identities.get_in(tx, role, name)
    except NotFound as exc:
        raise Rejected(exc.message, exc.hint, code="unknown_identity") from None
    if identity.status == IdentityStatus.TERMINATED:
        raise Rejected(
            f"{target} is terminated",
            "a terminated identity is never woken; re-create it to give it a new session",
            code="target_terminated",
        )
    if identity.runtime is None and identity.session_id is None:
        return _fallback(
            queue,
            tx,
            thread.id,
            role,
            name,
            requested_by,
            reason,
            forced_why,
            trace,
            thread.last_seq,
            "no_managed_session",
            f"{target} has no runtime and no session bosun could drive",
        )
    pair = load_pair(tx, thread.id, role, name)
    if pair.state.blocked and forced_why is None:
        raise Rejected(
            f"triggers from thread {thread.id} to {target} are blocked "
            f"({pair.state.blocked_reason})",
            f"unblock with `bosun triggers unblock {target} --thread {thread.id}` "
            "or override with --force --why TEXT",
            code="pair_blocked",
        )
    job, created = queue.enqueue_in(
        tx,
        thread_id=thread.id,
        role=role,
        name=name,
        requested_by=requested_by,
        trace_id=trace,
        reason=reason,
        force_why=forced_why,
        upto_seq=thread.last_seq,
    )
    save_pair(tx, pair, triggered_seq=thread.last_seq)
    if not created:
        return Envelope(
            Action.ENQUEUED,
            "already_pending",
            job.id,
            job.trace_id,
            f"trigger job {job.id} for {target} is already {job.state}",
            "it will run; see `bosun triggers list`",
            existing=True,
        )
    return Envelope(
        Action.ENQUEUED,
        _session_reason(ctx, tx, identity, forced_why),
        job.id,
        job.trace_id,
        f"trigger job {job.id} enqueued for {target}",
    )


def _session_reason(ctx: Context, tx: Tx, identity: Identity, forced: str | None) -> str:
    """What the registry says about the target's session. A session bosun launched is in
    `agent_sessions` (most runtimes have no conversation id); else the runtime's session id."""
    if forced is not None:
        return "forced"
    if identity.status == IdentityStatus.QUARANTINED:
        return "quarantined"
    launched = tx.one("agent_session_current", role=identity.role, name=identity.name)
    if launched is not None and launched["ended_at"] is not None:
        return "session_ended"
    if launched is None and identity.session_id is None:
        return "session_missing"
    if tx.now - identity.last_seen > ctx.config.number("identity.stale_after"):
        return "session_stale"
    return "session_live"


def _fallback(
    queue: TriggerQueue,
    tx: Tx,
    thread_id: str,
    role: str,
    name: str,
    requested_by: str,
    reason: str | None,
    forced_why: str | None,
    trace: str,
    upto_seq: int,
    code: str,
    message: str,
) -> Envelope:
    job, _ = queue.enqueue_in(
        tx,
        thread_id=thread_id,
        role=role,
        name=name,
        requested_by=requested_by,
        trace_id=trace,
        reason=reason,
        force_why=forced_why,
        upto_seq=upto_seq,
        state=JobState.FALLBACK_REQUIRED,
        outcome=code,
    )
    save_pair(tx, load_pair(tx, thread_id, role, name), triggered_seq=upto_seq)
    return Envelope(
        Action.FALLBACK_REQUIRED,
        code,
        job.id,
        trace,
        message,
        "reach the participant another way (mail, chat, or start its session)",
    )


def raise_if_rejected(envelope: Envelope) -> Envelope:
    if envelope.action == Action.REJECTED:
        raise Rejected(envelope.message, envelope.hint, code=envelope.reason)
    return envelope


# -- blocks -------------------------------------------------------------------------------


def list_blocked(ctx: Context) -> list[PairRecord]:
    with ctx.store.transaction(write=False) as tx:
        return blocked_pairs(tx)


def unblock(ctx: Context, target: str, thread_id: str, by: str | None = None) -> PairRecord:
    role, name = split_identity(target)
    with ctx.store.transaction() as tx:
        thread = Threads(ctx).get_in(tx, thread_id)
        row = tx.one("trigger_pair_get", thread_id=thread.id, role=role, name=name)
        if row is None or not bool(row["blocked"]):
            raise NotFound(
                f"triggers from thread {thread.id} to {target} are not blocked",
                "list blocked pairs with `bosun triggers blocked`",
                code="not_blocked",
            )
        pair = load_pair(tx, thread.id, role, name)
        saved = save_pair(tx, pair, unblock_state(pair.state))
        tx.emit(
            "trigger.unblocked",
            target,
            {"thread": thread.id, "by": by or operator_ref(), "was": pair.state.blocked_reason},
        )
        return saved
