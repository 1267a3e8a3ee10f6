"""MERGE_READY signals become merge requests (Python calls the queue; no prompt text)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.errors import BosunError, InvalidInput
from bosun.base.names import split_identity
from bosun.core.records import Signal
from bosun.gitops.branches import branch_for
from bosun.gitops.git import Git
from bosun.mergequeue.queue import MergeQueue, ensure_queue_identity
from bosun.mergequeue.records import QUEUE_IDENTITY

if TYPE_CHECKING:
    from bosun.core.context import Context


@dataclass(frozen=True)
class Intake:
    signal_id: str
    request_id: str | None
    created: bool
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def consume_merge_ready(ctx: Context) -> list[Intake]:
    """Turn every unread MERGE_READY addressed to the queue into a request, and ack it.

    The branch comes from the payload's `branch`, else the sender's worktree branch; the
    work item from the payload's `work_id`, else the sender's hook. A signal that cannot be
    queued is acked and answered with MERGE_FAILED, so it is never retried forever.
    """
    ensure_queue_identity(ctx)
    queue = MergeQueue(ctx)
    done = []
    for signal in ctx.signals.list(to=QUEUE_IDENTITY, unread=True, kind="MERGE_READY"):
        try:
            branch = _branch_of(ctx, signal)
            work_id = signal.payload.get("work_id")
            request, created = queue.enqueue(
                branch,
                work_id=str(work_id) if work_id else None,
                identity=signal.sender,
                target=signal.payload.get("target") or None,
                by=signal.sender or f"signal {signal.id}",
            )
        except BosunError as exc:
            _refuse(ctx, signal, exc)
            done.append(Intake(signal.id, None, False, exc.message))
            continue
        with ctx.store.transaction() as tx:
            ctx.signals.ack_in(tx, signal.id)
            tx.emit(
                "merge.intake",
                request.id,
                {"signal": signal.id, "from": signal.sender, "created": created},
            )
        done.append(Intake(signal.id, request.id, created))
    return done


def _branch_of(ctx: Context, signal: Signal) -> str:
    branch = signal.payload.get("branch")
    if isinstance(branch, str) and branch:
        return branch
    if signal.sender is None:
        raise InvalidInput(
            f"MERGE_READY {signal.id} names no branch and has no sender",
            'send it with --from ROLE/NAME or a payload {"branch": "…"}',
        )
    role, name = split_identity(signal.sender)
    identity = ctx.identities.get(role, name)
    if identity.worktree and Path(identity.worktree).is_dir():
        current = Git(identity.worktree).try_run("symbolic-ref", "--quiet", "--short", "HEAD")
        if current.ok and current.stdout.strip():
            return current.stdout.strip()
    return branch_for(ctx.config, name)


def _refuse(ctx: Context, signal: Signal, exc: BosunError) -> None:
    with ctx.store.transaction() as tx:
        ctx.signals.ack_in(tx, signal.id)
        tx.emit(
            "merge.intake_refused",
            signal.sender or QUEUE_IDENTITY,
            {"signal": signal.id, "error": exc.message, "hint": exc.hint},
        )
        if signal.sender and ctx.identities.exists_in(tx, **_split(signal.sender)):
            ctx.signals.send_in(
                tx,
                signal.sender,
                "MERGE_FAILED",
                {"reason": exc.message, "hint": exc.hint, "signal": signal.id},
                sender=QUEUE_IDENTITY,
            )


def _split(ref: str) -> dict[str, str]:
    role, name = split_identity(ref)
    return {"role": role, "name": name}
