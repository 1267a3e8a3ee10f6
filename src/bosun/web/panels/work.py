"""Work items, newest status changes first; wisps hidden unless `?wisps=1`.

`items` are `bosun work list --json` rows (with `--wisps` when asked)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import badge, esc, more, short, table

if TYPE_CHECKING:
    from bosun.web.view import View


def data(view: View, params: Mapping[str, str]) -> Data:
    wisps = params.get("wisps", "") in ("1", "true", "yes", "on")
    items = [w.to_json() for w in view.ctx.work.list(include_wisps=wisps)]
    hidden = 0
    if not wisps:
        hidden = sum(int(r["n"]) for r in view.read("web_work_counts") if r["wisp"])
    counts: dict[str, int] = {}
    for item in items:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    summary = " · ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no work"
    return {
        "items": items,
        "wisps_shown": wisps,
        "wisps_hidden": hidden,
        "counts": counts,
        "summary": summary,
    }


def render(d: Data) -> str:
    items = sorted(d["items"], key=lambda w: w["updated_at"] or "", reverse=True)
    shown = items[:60]
    cells = [
        [
            esc(w["id"]) + (' <span class="wisp">wisp</span>' if w["wisp"] else ""),
            badge(w["status"]),
            esc(w["priority"]),
            esc(short(w["title"], 70)),
        ]
        for w in shown
    ]
    attrs = [f'data-work="{esc(w["id"])}" data-status="{esc(w["status"])}"' for w in shown]
    note = ""
    if d["wisps_shown"]:
        note = '<p class="note">wisps shown (<a href="?" data-param="">hide</a>)</p>'
    elif d["wisps_hidden"]:
        note = (
            f'<p class="note">{d["wisps_hidden"]} wisps hidden '
            f'(<a href="?wisps=1" data-param="wisps=1">show</a>)</p>'
        )
    return (
        table(("id", "status", "pri", "title"), cells, row_attrs=attrs, empty="no work items")
        + more(len(shown), len(items))
        + note
    )


PANEL = register(
    Panel(
        name="work",
        title="Work items",
        order=40,
        kinds=("work.", "hook.pinned", "hook.released"),
        data=data,
        render=render,
        params=("wisps",),
    )
)
