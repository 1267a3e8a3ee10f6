"""Unread reconciliation: which participants have unread work that should wake them.

Pure and deterministic: the same views, pair marks and pending set always give the same list
in the same order. Idempotent per tick: a pair is due only when its thread has messages past
the sequence it was last triggered for, so repeating a tick with no new message yields nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bosun.core.threads import ParticipantKind, ParticipantView, ThreadStatus

Pair = tuple[str, str, str]  # (thread_id, role, name)


@dataclass(frozen=True)
class UnreadWork:
    thread_id: str
    role: str
    name: str
    read_seq: int
    last_seq: int

    @property
    def target(self) -> str:
        return f"{self.role}/{self.name}"

    @property
    def unread(self) -> int:
        return self.last_seq - self.read_seq


@dataclass(frozen=True)
class Skipped:
    thread_id: str
    role: str
    name: str
    reason: str  # person | other_project | thread_closed | blocked | pending | already_triggered


def reconcile_unread(
    views: Iterable[ParticipantView],
    *,
    project: str,
    triggered_seq: Mapping[Pair, int],
    pending: frozenset[Pair] | set[Pair],
    blocked: frozenset[Pair] | set[Pair] = frozenset(),
    include_closed: bool = False,
) -> tuple[list[UnreadWork], list[Skipped]]:
    """Split participants with unread messages into work to trigger and skips with reasons."""
    due: list[UnreadWork] = []
    skipped: list[Skipped] = []
    for view in sorted(views, key=lambda v: (v.thread_id, v.role, v.name)):
        if view.unread <= 0:
            continue
        pair = (view.thread_id, view.role, view.name)
        reason = _ineligible(view, project, include_closed)
        if reason is None and pair in blocked:
            reason = "blocked"
        if reason is None and pair in pending:
            reason = "pending"
        if reason is None and triggered_seq.get(pair, 0) >= view.last_seq:
            reason = "already_triggered"
        if reason is not None:
            skipped.append(Skipped(view.thread_id, view.role, view.name, reason))
            continue
        due.append(UnreadWork(view.thread_id, view.role, view.name, view.read_seq, view.last_seq))
    return due, skipped


def _ineligible(view: ParticipantView, project: str, include_closed: bool) -> str | None:
    if view.kind != ParticipantKind.IDENTITY:
        return "person"
    if view.project != project:
        return "other_project"
    if view.thread_status == ThreadStatus.CLOSED and not include_closed:
        return "thread_closed"
    return None
