"""Commitments opened by the action-claim sentinel: `bosun commitments list --json` rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bosun.core.commitments import Commitments
from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import badge, esc, short, table

if TYPE_CHECKING:
    from bosun.web.view import View


def data(view: View, params: Mapping[str, str]) -> Data:
    now = view.now()
    found = [c.to_json(now) for c in Commitments(view.ctx).list(limit=view.rows)]
    open_ = sum(1 for c in found if c["status"] == "open")
    return {
        "commitments": found,
        "summary": f"{open_} open · {len(found)} total" if found else "none",
    }


def render(d: Data) -> str:
    rows = d["commitments"][:30]
    cells = [
        [
            esc(c["id"]),
            esc(c["identity"]),
            esc(c["topic"]),
            esc(c["verb"]),
            badge(c["status"]),
            esc(short(c["claim"], 70)),
        ]
        for c in rows
    ]
    return table(
        ("id", "identity", "topic", "verb", "status", "claim"), cells, empty="no commitments"
    )


PANEL = register(
    Panel(
        name="commitments",
        title="Commitments",
        order=100,
        kinds=("commitment.", "sentinel."),
        data=data,
        render=render,
        timely=True,
    )
)
