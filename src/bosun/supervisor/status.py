"""The data of `bosun status`: the whole fleet on one screen — supervisor, agents, queues,
guards and escalations — with one aggregated attention line when anything needs a person."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bosun.agents.driver import project_fleet
from bosun.agents.views import agent_views
from bosun.base.clock import iso
from bosun.supervisor.daemon import running_supervisor
from bosun.supervisor.guards import guard_attention, guard_posture, row_json
from bosun.supervisor.resume_queue import ResumeQueue

if TYPE_CHECKING:
    from bosun.core.context import Context


def build_status(ctx: Context, *, merge_queue: Mapping[str, int]) -> dict[str, Any]:
    """The supervisor's view of the fleet. Counts owned by other engines (the merge queue's)
    are gathered by the caller, the interface that composes the screen."""
    now = ctx.clock.now()
    record = running_supervisor(ctx) if ctx.paths else None
    agents = agent_views(project_fleet(ctx))
    with ctx.store.transaction(write=False) as tx:
        guards = [row_json(r, now) for r in guard_posture(tx, ctx.config, now)]
        attention = guard_attention(tx, ctx.config, now)
    escalations = [s.to_json() for s in ctx.signals.list(unread=True, kind="ESCALATION")]
    quarantined = [a.identity for a in agents if a.status == "quarantined"]
    escalated = [f"{a.identity} ({a.escalation})" for a in agents if a.status == "escalated"]
    counts: dict[str, int] = {}
    for agent in agents:
        counts[agent.status] = counts.get(agent.status, 0) + 1
    attention_lines = [
        line
        for line in (
            attention,
            f"{len(escalations)} unread escalation(s): see `bosun signal list --type ESCALATION "
            "--unread`"
            if escalations
            else None,
            f"quarantined: {', '.join(quarantined)} (release with `bosun agent restart NAME`)"
            if quarantined
            else None,
            f"escalated: {'; '.join(escalated)} (a person must decide; then ack the signal)"
            if escalated
            else None,
            None
            if record
            else "no supervisor is running: start it with `bosun supervise --detach`",
        )
        if line
    ]
    return {
        "supervisor": None
        if record is None
        else {
            "pid": record.pid,
            "host": record.hostname,
            "started_at": iso(record.started_at),
            "heartbeat_age_s": round(now - record.heartbeat_at, 3),
        },
        "agents": [a.to_json() for a in agents],
        "agent_counts": counts,
        "merge_queue": dict(merge_queue),
        "resume_queue": ResumeQueue(ctx).summary(),
        "work": _work_counts(ctx),
        "guards": guards,
        "escalations": escalations,
        "attention": attention_lines,
    }


def _work_counts(ctx: Context) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in ctx.work.list():
        counts[str(item.status)] = counts.get(str(item.status), 0) + 1
    return counts
