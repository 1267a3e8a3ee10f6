"""The agents panel's attention levels: the terminal UI's order and colours
(`bosun.core.attention`), from what the store records about each agent.

waiting shows amber with what it waits for; escalated and crashing red; stalled yellow;
working green; idle blue; done grey.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bosun.core.attention import AgentFacts, Attention, AttentionConfig, classify, sort_key

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.agents.views import AgentView
    from bosun.core.context import Context

RESTART_EVENTS = 500
ACTIVITY_EVENTS = 300


def attention_config(ctx: Context) -> AttentionConfig:
    """The supervisor's own thresholds, so the dashboard calls stalled what it does."""
    return AttentionConfig(
        stall_after=ctx.config.number("supervisor.stall_after"),
        crash_loop_restarts=ctx.config.integer("supervisor.recovery.max_restarts"),
        crash_loop_window=ctx.config.number("supervisor.recovery.restart_window"),
    )


@dataclass(frozen=True)
class Recorded:
    """What the log and the fleet say about every agent beyond its own row."""

    ended: dict[str, str]
    escalated: frozenset[str]
    restarts: dict[str, tuple[float, ...]]
    activity: dict[str, float]
    waiting_for: dict[str, str]


def recorded(ctx: Context, fleet: Fleet) -> Recorded:
    ended = {s.ref: s.end_reason or "stopped" for s in fleet.sessions() if not s.live}
    escalated = frozenset(
        str(s.payload.get("identity")) for s in ctx.signals.list(unread=True, kind="ESCALATION")
    )
    restarts: dict[str, list[float]] = {}
    for event in ctx.events.tail(RESTART_EVENTS, kind="identity.incarnation"):
        if int(event.data.get("incarnation") or 0) > 1:
            restarts.setdefault(event.subject, []).append(event.ts)
    activity: dict[str, float] = {}
    waiting_for: dict[str, str] = {}
    for event in ctx.events.tail(ACTIVITY_EVENTS):  # oldest first: the latest note wins
        activity[event.subject] = max(activity.get(event.subject, 0.0), event.ts)
        if event.kind == "claude.notification" and event.data.get("message"):
            waiting_for[event.subject] = str(event.data["message"])
    return Recorded(
        ended, escalated, {k: tuple(v) for k, v in restarts.items()}, activity, waiting_for
    )


def agent_attention(
    view: AgentView, rec: Recorded, config: AttentionConfig, now: float
) -> tuple[Attention, float]:
    """(attention, last activity) of one agent; a waiting agent says what it waits for."""
    last = max(view.last_seen, rec.activity.get(view.identity, 0.0))
    facts = AgentFacts(
        status=view.status,
        screen=view.state,
        last_activity=last,
        phase=view.phase,
        escalated=view.identity in rec.escalated,
        restarts=rec.restarts.get(view.identity, ()),
        ended=rec.ended.get(view.identity),
    )
    found = classify(facts, now, config)
    if found.label == "waiting" and view.identity in rec.waiting_for:
        found = Attention(found.level, rec.waiting_for[view.identity])
    return found, last


__all__ = ["Recorded", "agent_attention", "attention_config", "recorded", "sort_key"]
