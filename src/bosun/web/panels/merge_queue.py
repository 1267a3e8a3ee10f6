"""The merge queue: requests with their states and reasons, and each target's batch window.

`requests` are `bosun merge-queue list --all --json` rows (the newest `dashboard.rows`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bosun.mergequeue.records import MergeRequest
from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import badge, esc, short, table

if TYPE_CHECKING:
    from bosun.web.view import View

ACTIVE = ("awaiting_approval", "queued", "testing")


def data(view: View, params: Mapping[str, str]) -> Data:
    requests = [
        MergeRequest.from_row(r).to_json() for r in view.read("web_merge_recent", limit=view.rows)
    ]
    requests.reverse()  # newest first
    mode = view.ctx.config.text("merge_queue.batch")
    targets = [
        {
            "target": t["target"],
            "window": int(t["window_size"]) if mode == "adaptive" else 1,
            "lease_holder": t["lease_holder"],
        }
        for t in view.read("web_merge_targets")
    ]
    counts: dict[str, int] = {}
    for r in requests:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    active = sum(counts.get(s, 0) for s in ACTIVE)
    landed = counts.get("merged", 0)
    awaiting = counts.get("awaiting_approval", 0)
    return {
        "requests": requests,
        "targets": targets,
        "batch_mode": mode,
        "counts": counts,
        "summary": f"{active} in queue · "
        + (f"{awaiting} awaiting approval · " if awaiting else "")
        + f"{landed} landed",
    }


def render(d: Data) -> str:
    head = "".join(
        f'<span class="chip">{esc(t["target"])}: window {esc(t["window"])}'
        + (f" · processing ({esc(t['lease_holder'])})" if t["lease_holder"] else "")
        + "</span>"
        for t in d["targets"]
    )
    mode = f'<span class="chip">batching: {esc(d["batch_mode"])}</span>'
    rows = d["requests"][:50]
    cells = [
        [
            esc(r["id"]),
            badge(r["status"]),
            esc(r["branch"]) + f" <small>\u2192 {esc(r['target'])}</small>",
            esc(r["identity"] or "-"),
            esc(r["batch_id"] or "-"),
            esc((r["landed"] or "")[:10]),
            _reason(r),
        ]
        for r in rows
    ]
    attrs = [f'data-request="{esc(r["id"])}" data-status="{esc(r["status"])}"' for r in rows]
    return f'<div class="chips">{mode}{head}</div>' + table(
        ("id", "status", "branch", "owner", "batch", "landed", "reason"),
        cells,
        row_attrs=attrs,
        empty="no merge requests",
    )


def _reason(r: Data) -> str:
    """The reason, or how to approve a request that waits for a review (the dashboard is
    read-only: approving is `bosun mr approve` or the TUI's `p`)."""
    if r["status"] == "awaiting_approval":
        return f"awaits approval: <code>bosun mr approve {esc(r['id'])}</code>"
    return esc(short(r["reason"], 70))


PANEL = register(
    Panel(
        name="merge-queue",
        title="Merge queue",
        order=30,
        kinds=("merge.",),
        data=data,
        render=render,
    )
)
