"""What the terminal UI shows, as plain data: one `Snapshot` of the fleet at one instant.

`take_snapshot(ctx, fleet)` reads the same services `bosun agent list`, `bosun run list`,
`bosun merge-queue list` and `bosun events` read, and classifies every agent with
`bosun.core.attention`. It never writes; the app renders it and tests assert on it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.agents.views import agent_views
from bosun.base.clock import iso
from bosun.core.attention import AgentFacts, Attention, AttentionConfig, classify, sort_key
from bosun.mergequeue.queue import MergeQueue
from bosun.pipeline.handlers.human import answer_path
from bosun.pipeline.runs import list_runs, run_status

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.agents.views import AgentView
    from bosun.core.context import Context

LIVE_RUNS = frozenset({"running", "starting"})


@dataclass(frozen=True)
class AgentRow:
    identity: str
    role: str
    name: str
    runtime: str
    status: str
    screen: str
    phase: str | None
    work_id: str | None
    context_pct: float | None
    cost_usd: float | None
    incarnation: int
    last_activity: float
    idle_s: float
    attention: Attention
    crew: bool = False
    worktree: str | None = None

    @property
    def search_text(self) -> str:
        return " ".join(
            str(part)
            for part in (self.identity, self.runtime, self.status, self.screen,
                         self.phase or "", self.work_id or "", self.attention.label)
        )


@dataclass(frozen=True)
class Gate:
    node: str
    question: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class RunRow:
    run_id: str
    status: str
    current_node: str | None
    logs_root: str
    gate: Gate | None = None


@dataclass(frozen=True)
class MergeRow:
    id: str
    status: str
    branch: str
    target: str
    identity: str | None
    work_id: str | None
    reason: str | None


@dataclass(frozen=True)
class EventRow:
    id: int
    ts: float
    kind: str
    subject: str
    summary: str


@dataclass(frozen=True)
class Snapshot:
    taken_at: float
    agents: tuple[AgentRow, ...] = ()
    runs: tuple[RunRow, ...] = ()
    merges: tuple[MergeRow, ...] = ()
    events: tuple[EventRow, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def gates(self) -> tuple[RunRow, ...]:
        return tuple(r for r in self.runs if r.gate is not None)


def attention_config(ctx: Context) -> AttentionConfig:
    """The supervisor's own thresholds, so the UI calls stalled what the supervisor does."""
    return AttentionConfig(
        stall_after=ctx.config.number("supervisor.stall_after"),
        crash_loop_restarts=ctx.config.integer("supervisor.recovery.max_restarts"),
        crash_loop_window=ctx.config.number("supervisor.recovery.restart_window"),
    )


def take_snapshot(
    ctx: Context,
    fleet: Fleet,
    *,
    config: AttentionConfig | None = None,
    probe: bool = True,
    events: int = 40,
) -> Snapshot:
    problems: list[str] = []
    now = ctx.clock.now()
    agents = _agents(ctx, fleet, config or attention_config(ctx), now, probe)
    runs: tuple[RunRow, ...] = ()
    merges: tuple[MergeRow, ...] = ()
    try:
        runs = _runs(ctx)
    except Exception as exc:  # noqa: BLE001 - one broken panel never blanks the screen
        problems.append(f"runs: {exc}")
    try:
        merges = _merges(ctx)
    except Exception as exc:  # noqa: BLE001
        problems.append(f"merge queue: {exc}")
    feed = tuple(
        EventRow(e.id, e.ts, e.kind, e.subject, _summary(e.data))
        for e in ctx.events.tail(events)
    )
    return Snapshot(now, agents, runs, merges, feed, tuple(problems))


def _agents(
    ctx: Context, fleet: Fleet, config: AttentionConfig, now: float, probe: bool
) -> tuple[AgentRow, ...]:
    views = agent_views(fleet, probe=probe)
    ended = {
        s.ref: s.end_reason or "stopped"
        for s in fleet.sessions()
        if not s.live
    }
    escalated = {
        str(s.payload.get("identity"))
        for s in ctx.signals.list(unread=True, kind="ESCALATION")
    }
    restarts: dict[str, list[float]] = {}
    for event in ctx.events.tail(500, kind="identity.incarnation"):
        if int(event.data.get("incarnation") or 0) > 1:
            restarts.setdefault(event.subject, []).append(event.ts)
    activity: dict[str, float] = {}
    for event in ctx.events.tail(300):
        activity[event.subject] = max(activity.get(event.subject, 0.0), event.ts)
    rows = [
        _row(ctx, v, escalated, restarts, activity, ended.get(v.identity), config, now)
        for v in views
    ]
    rows.sort(key=lambda r: sort_key(r.attention, r.last_activity, r.identity))
    return tuple(rows)


def _row(
    ctx: Context,
    view: AgentView,
    escalated: set[str],
    restarts: dict[str, list[float]],
    activity: dict[str, float],
    ended: str | None,
    config: AttentionConfig,
    now: float,
) -> AgentRow:
    last = max(view.last_seen, activity.get(view.identity, 0.0))
    facts = AgentFacts(
        status=view.status,
        screen=view.state,
        last_activity=last,
        phase=view.phase,
        escalated=view.identity in escalated,
        restarts=tuple(restarts.get(view.identity, ())),
        ended=ended,
    )
    return AgentRow(
        identity=view.identity,
        role=view.role,
        name=view.name,
        runtime=view.runtime or "-",
        status=view.status,
        screen=view.state,
        phase=view.phase,
        work_id=view.work_id,
        context_pct=view.context_pct,
        cost_usd=_cost(ctx, view.role, view.name),
        incarnation=view.incarnation,
        last_activity=last,
        idle_s=max(0.0, now - last),
        attention=classify(facts, now, config),
        crew=view.crew,
        worktree=view.worktree,
    )


def _cost(ctx: Context, role: str, name: str) -> float | None:
    """The session's cost in USD when its runtime reports one in the context file."""
    if ctx.paths is None:
        return None
    try:
        data = json.loads(ctx.paths.context_file(role, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    cost = data.get("cost_usd")
    if cost is None and isinstance(data.get("cost"), dict):
        cost = data["cost"].get("total_cost_usd")
    return float(cost) if isinstance(cost, int | float) else None


def _runs(ctx: Context) -> tuple[RunRow, ...]:
    if ctx.paths is None:
        return ()
    rows = []
    for run in list_runs(ctx.paths.runs, ctx, limit=50):
        gate = _gate(Path(run["logs_root"])) if run["status"] in LIVE_RUNS else None
        rows.append(
            RunRow(run["run_id"], run["status"], run.get("current_node"), run["logs_root"], gate)
        )
    return tuple(rows)


def _gate(base: Path) -> Gate | None:
    """The human gate a run waits at: its last progress event asked and no answer is queued."""
    last: dict[str, Any] = run_status(base).get("last_event") or {}
    if last.get("event") != "human_question":
        return None
    node = str(last.get("node_id") or "")
    if not node or answer_path(base, node).exists():
        return None
    choices = tuple(str(c) for c in last.get("choices") or ())
    return Gate(node, str(last.get("question") or node), choices)


def _merges(ctx: Context) -> tuple[MergeRow, ...]:
    return tuple(
        MergeRow(r.id, str(r.status), r.branch, r.target, r.identity, r.work_id, r.reason)
        for r in MergeQueue(ctx).list(include_finished=False)
    )


def _summary(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        if isinstance(value, dict | list):
            continue
        parts.append(f"{key}={value}")
    return " ".join(parts)[:120]


def snapshot_json(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot as `bosun tui --json` prints it."""
    agents = []
    for row in snapshot.agents:
        data = asdict(row)
        data["attention"] = {
            "level": row.attention.label,
            "rank": row.attention.rank,
            "colour": row.attention.colour,
            "why": row.attention.why,
        }
        data["last_activity"] = iso(row.last_activity)
        data["idle_s"] = round(row.idle_s, 3)
        agents.append(data)
    return {
        "taken_at": iso(snapshot.taken_at),
        "agents": agents,
        "runs": [asdict(r) for r in snapshot.runs],
        "merge_queue": [asdict(m) for m in snapshot.merges],
        "events": [asdict(e) for e in snapshot.events],
        "problems": list(snapshot.problems),
    }
