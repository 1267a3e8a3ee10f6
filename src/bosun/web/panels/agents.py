"""Agents: attention level, identity, runtime, status, screen state, hook phase, context %,
incarnation, restarts; crew marked. The same rows as `bosun agent list --json`, plus
`attention` (the terminal UI's level, order and reason: `bosun.core.attention`),
`liveness` and `liveness_reason`. Rows come in attention order; the browser re-sorts them
(by name, by last activity) and filters them without a round trip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bosun.agents.views import agent_views
from bosun.core.attention import LABELS
from bosun.web.attention import agent_attention, attention_config, recorded, sort_key
from bosun.web.liveness import liveness
from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import ago, badge, esc, table

if TYPE_CHECKING:
    from bosun.web.view import View

BUILTIN = "builtin"


def agent_rows(view: View) -> list[dict[str, Any]]:
    rows = []
    rec = recorded(view.ctx, view.fleet)
    config = attention_config(view.ctx)
    now = view.now()
    keyed = []
    for agent in agent_views(view.fleet, probe=view.probe_screens):
        data = agent.to_json()
        attention, last = agent_attention(agent, rec, config, now)
        data["attention"] = {"level": attention.label, "rank": attention.rank, "why": attention.why}
        data["last_activity_age_s"] = max(0.0, now - last)
        colour, why = liveness(
            agent.status,
            agent.state,
            agent.last_seen_age_s,
            view.thresholds,
            builtin=agent.runtime == BUILTIN,
        )
        data["liveness"] = str(colour)
        data["liveness_reason"] = why
        keyed.append((sort_key(attention, last, agent.identity), data))
    rows = [data for _, data in sorted(keyed, key=lambda pair: pair[0])]
    return rows


def data(view: View, params: Mapping[str, str]) -> Data:
    rows = agent_rows(view)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["attention"]["level"]] = counts.get(row["attention"]["level"], 0) + 1
    summary = " · ".join(f"{counts[x]} {x}" for x in LABELS if x in counts) or "no agents"
    return {"agents": rows, "counts": counts, "summary": summary}


def _ctx(pct: float | None) -> str:
    if pct is None:
        return "-"
    value = max(0.0, min(100.0, float(pct)))
    return (
        f'<meter min="0" max="100" low="60" high="85" optimum="0" value="{value:.0f}">'
        f"</meter> {value:.0f}%"
    )


TOOLBAR = (
    '<div class="toolbar" data-toolbar="agents">'
    '<input type="search" class="agent-search" placeholder="search agents" '
    'aria-label="search agents">'
    '<label>sort <select class="agent-sort" aria-label="sort agents">'
    '<option value="attention">attention</option><option value="name">name</option>'
    '<option value="activity">last activity</option></select></label>'
    '<span class="shown"></span></div>'
)
CALM = frozenset({"working", "idle"})


def render(d: Data) -> str:
    rows = d["agents"]
    cells = []
    attrs = []
    for a in rows:
        level = a["attention"]["level"]
        why = a["attention"]["why"]
        name = esc(a["identity"]) + (' <span class="crew">crew</span>' if a["crew"] else "")
        # A status badge never looks calmer than the agent's attention level.
        status_cls = a["status"] if level in CALM else f"att-{level}"
        cells.append(
            [
                f'<span class="dot att-{esc(level)}" title="{esc(why)}"></span>',
                name,
                badge(level, f"att-{level}") + f" <small>{esc(why)}</small>",
                esc(a["runtime"] or "-"),
                badge(a["status"], status_cls),
                esc(a["state"]),
                esc(a["phase"] or "-")
                + (f" <small>{esc(a['work_id'])}</small>" if a["work_id"] else ""),
                _ctx(a["context_pct"]),
                esc(a["incarnation"]),
                esc(a["restarts"]),
                esc(ago(a["last_seen_age_s"])),
            ]
        )
        attrs.append(
            f'data-agent="{esc(a["identity"])}" class="att-{esc(level)}" '
            f'data-attention="{esc(level)}" data-rank="{a["attention"]["rank"]}" '
            f'data-activity="{a["last_activity_age_s"]:.0f}" '
            f'data-liveness="{esc(a["liveness"])}"'
        )
    headers = (
        "", "agent", "attention", "runtime", "status", "screen", "phase", "context", "inc",
        "restarts", "seen",
    )  # fmt: skip
    body = table(headers, cells, row_attrs=attrs, empty="no agents yet")
    return (TOOLBAR + body) if rows else body


PANEL = register(
    Panel(
        name="agents",
        title="Agents",
        order=10,
        timely=True,
        wide=True,
        kinds=(
            "identity.",
            "agent.",
            "hook.",
            "supervisor.",
            "resume.revived",
            "signal.",
            "claude.notification",
            "work.status",
        ),
        data=data,
        render=render,
    )
)
