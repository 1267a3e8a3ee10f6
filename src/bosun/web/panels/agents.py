"""Agents: identity, runtime, status, screen state, liveness colour, hook phase, context %,
incarnation, restarts; crew marked. The same rows as `bosun agent list --json`, plus
`liveness` and `liveness_reason`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bosun.web.liveness import liveness
from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import ago, badge, esc, table

if TYPE_CHECKING:
    from bosun.web.view import View

BUILTIN = "builtin"


def agent_rows(view: View) -> list[dict[str, Any]]:
    from bosun.agents.views import agent_views

    rows = []
    for agent in agent_views(view.fleet, probe=view.probe_screens):
        data = agent.to_json()
        colour, why = liveness(
            agent.status,
            agent.state,
            agent.last_seen_age_s,
            view.thresholds,
            builtin=agent.runtime == BUILTIN,
        )
        data["liveness"] = str(colour)
        data["liveness_reason"] = why
        rows.append(data)
    return rows


def data(view: View, params: Mapping[str, str]) -> Data:
    rows = agent_rows(view)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["liveness"]] = counts.get(row["liveness"], 0) + 1
    summary = " · ".join(f"{n} {c}" for c, n in sorted(counts.items())) or "no agents"
    return {"agents": rows, "counts": counts, "summary": summary}


def _ctx(pct: float | None) -> str:
    if pct is None:
        return "-"
    value = max(0.0, min(100.0, float(pct)))
    return (
        f'<meter min="0" max="100" low="60" high="85" optimum="0" value="{value:.0f}">'
        f"</meter> {value:.0f}%"
    )


def render(d: Data) -> str:
    rows = d["agents"]
    cells = []
    attrs = []
    for a in rows:
        name = esc(a["identity"]) + (' <span class="crew">crew</span>' if a["crew"] else "")
        cells.append(
            [
                f'<span class="dot {esc(a["liveness"])}" title="{esc(a["liveness_reason"])}">'
                f"</span>",
                name,
                esc(a["runtime"] or "-"),
                badge(a["status"]),
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
            f'data-agent="{esc(a["identity"])}" class="live-{esc(a["liveness"])}" '
            f'data-liveness="{esc(a["liveness"])}"'
        )
    return table(
        ("", "agent", "runtime", "status", "screen", "phase", "context", "inc", "restarts", "seen"),
        cells,
        row_attrs=attrs,
        empty="no agents yet",
    )


PANEL = register(
    Panel(
        name="agents",
        title="Agents",
        order=10,
        timely=True,
        wide=True,
        kinds=("identity.", "agent.", "hook.", "supervisor.recovery", "resume.revived"),
        data=data,
        render=render,
    )
)
