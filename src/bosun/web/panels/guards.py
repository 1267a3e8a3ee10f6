"""Guards: the same rows and postures as `bosun guards --json`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bosun.supervisor.guards import guard_posture, row_json
from bosun.supervisor.policies.posture import attention_line
from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import ago, badge, esc, table

if TYPE_CHECKING:
    from bosun.web.view import View


def data(view: View, params: Mapping[str, str]) -> Data:
    ctx = view.ctx
    with ctx.store.transaction(write=False) as tx:
        now = view.now()
        rows = guard_posture(tx, ctx.config, now)
    guards = [row_json(r, now) for r in rows]
    attention = attention_line(rows)
    on = sum(1 for g in guards if g["posture"].startswith("on"))
    flagged = sum(1 for g in guards if g["attention"])
    summary = f"{on} of {len(guards)} on" + (f" · {flagged} need attention" if flagged else "")
    return {"guards": guards, "attention": attention, "summary": summary}


def render(d: Data) -> str:
    cells = [
        [
            esc(g["guard"]),
            esc(g["host"] or "-"),
            badge(g["posture"]),
            "on" if g["configured"]["enabled"] else "off",
            "-" if g["runtime"] is None else esc(ago(g["runtime"]["last_tick_age_s"])),
            esc(g["reason"]) + (f" <small>[{esc(g['note'])}]</small>" if g["note"] else ""),
        ]
        for g in d["guards"]
    ]
    attrs = [
        f'data-guard="{esc(g["guard"])}"' + (' class="attention"' if g["attention"] else "")
        for g in d["guards"]
    ]
    note = f'<p class="alert">{esc(d["attention"])}</p>' if d["attention"] else ""
    return note + table(
        ("guard", "host", "posture", "config", "tick", "why"),
        cells,
        row_attrs=attrs,
        empty="no guards registered",
    )


PANEL = register(
    Panel(
        name="guards",
        title="Guards",
        order=80,
        kinds=("guard.", "supervisor.lock"),
        data=data,
        render=render,
        timely=True,
    )
)
