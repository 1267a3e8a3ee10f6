"""`bosun status`: the whole fleet on one screen — supervisor, agents, queues, guards and
escalations — with one aggregated attention line when anything needs a person."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso

if TYPE_CHECKING:
    from bosun.core.context import Context


def build_status(ctx: Context) -> dict[str, Any]:
    from bosun.agents.driver import project_fleet
    from bosun.agents.views import agent_views
    from bosun.mergequeue.checkouts import checkout_attention
    from bosun.supervisor.daemon import running_supervisor
    from bosun.supervisor.guards import guard_attention, guard_posture, row_json
    from bosun.supervisor.resume_queue import ResumeQueue

    now = ctx.clock.now()
    record = running_supervisor(ctx) if ctx.paths else None
    agents = agent_views(project_fleet(ctx))
    with ctx.store.transaction(write=False) as tx:
        guards = [row_json(r, now) for r in guard_posture(tx, ctx.config, now)]
        attention = guard_attention(tx, ctx.config, now)
    escalations = [s.to_json() for s in ctx.signals.list(unread=True, kind="ESCALATION")]
    quarantined = [a.identity for a in agents if a.status == "quarantined"]
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
            None
            if record
            else "no supervisor is running: start it with `bosun supervise --detach`",
            *checkout_attention(ctx),
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
        "merge_queue": _merge_queue(ctx),
        "resume_queue": ResumeQueue(ctx).summary(),
        "work": _work_counts(ctx),
        "guards": guards,
        "escalations": escalations,
        "attention": attention_lines,
    }


def _merge_queue(ctx: Context) -> dict[str, int]:
    from bosun.mergequeue.queue import MergeQueue

    counts: dict[str, int] = {}
    for request in MergeQueue(ctx).list(include_finished=True):
        state = str(getattr(request, "state", getattr(request, "status", "?")))
        counts[state] = counts.get(state, 0) + 1
    return counts


def _work_counts(ctx: Context) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in ctx.work.list():
        counts[str(item.status)] = counts.get(str(item.status), 0) + 1
    return counts


def render_status(data: dict[str, Any]) -> str:
    from bosun.cli.common import age, table

    sup = data["supervisor"]
    lines = [
        f"supervisor: pid {sup['pid']} on {sup['host']}, since {sup['started_at']}"
        if sup
        else "supervisor: not running",
        "",
        table(
            (
                (
                    a["identity"] + (" (crew)" if a["crew"] else ""),
                    a["status"],
                    a["state"],
                    a["phase"] or "-",
                    f"{a['context_pct']:.0f}%" if a["context_pct"] is not None else "-",
                    a["incarnation"],
                    age(a["last_seen_age_s"]),
                )
                for a in data["agents"]
            ),
            ("AGENT", "STATUS", "SCREEN", "PHASE", "CTX", "INC", "SEEN"),
        ),
        "",
        "work: " + (", ".join(f"{k} {v}" for k, v in sorted(data["work"].items())) or "none"),
        "merge queue: "
        + (", ".join(f"{k} {v}" for k, v in sorted(data["merge_queue"].items())) or "empty"),
        "resume queue: "
        + (
            ", ".join(f"{k} {v}" for k, v in sorted(data["resume_queue"]["counts"].items()))
            or "empty"
        ),
        "guards: " + ", ".join(f"{g['guard']} {g['posture']}" for g in data["guards"]),
    ]
    if data["attention"]:
        lines += ["", *(f"ATTENTION: {line}" for line in data["attention"])]
    return "\n".join(lines)
