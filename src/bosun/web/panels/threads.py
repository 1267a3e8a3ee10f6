"""Threads and triggers: threads with unread counts per participant, trigger jobs by state
(newest first) and blocked thread/participant pairs.

`threads` are `bosun thread list --json` rows, `jobs` `bosun triggers list --json` rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bosun.core.threads import Threads
from bosun.triggers.trigger import queue_for
from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import badge, esc, short, table

if TYPE_CHECKING:
    from bosun.web.view import View


def data(view: View, params: Mapping[str, str]) -> Data:
    threads = Threads(view.ctx)
    listed = [t.to_json() for t in threads.list()]
    unread: dict[str, list[dict[str, Any]]] = {}
    for v in threads.views():
        if v.unread:
            unread.setdefault(v.thread_id, []).append(
                {"participant": f"{v.role}/{v.name}", "unread": v.unread}
            )
    for t in listed:
        t["unread"] = unread.get(t["id"], [])
    queue = queue_for(view.ctx)
    jobs = [j.to_json() for j in queue.list(None, min(view.rows, 100))]
    counts = queue.counts()
    with view.ctx.store.transaction(write=False) as tx:
        blocked = [
            {
                "thread_id": r["thread_id"],
                "participant": f"{r['target_role']}/{r['target_name']}",
                "reason": r.get("blocked_reason"),
            }
            for r in tx.all("trigger_pairs_blocked")
        ]
    open_threads = sum(1 for t in listed if t["status"] == "open")
    summary = f"{open_threads} open threads · " + (
        " · ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no trigger jobs"
    )
    return {
        "threads": listed[: view.rows],
        "jobs": jobs,
        "job_counts": counts,
        "blocked": blocked,
        "summary": summary,
    }


def render(d: Data) -> str:
    threads = sorted(d["threads"], key=lambda t: t["updated_at"] or "", reverse=True)[:25]
    t_cells = [
        [
            esc(t["id"]),
            badge(t["status"]),
            esc(short(t["title"], 50)),
            esc(t["last_seq"]),
            ", ".join(f"{esc(u['participant'])} ({esc(u['unread'])})" for u in t["unread"]) or "-",
        ]
        for t in threads
    ]
    j_cells = [
        [
            esc(j["id"]),
            esc(j["target"]),
            esc(j["thread_id"]),
            badge(j["state"]),
            f"{esc(j['attempts'])}/{esc(j['max_attempts'])}",
            esc(short(j["last_reason"] or j["reason"] or "", 50)),
        ]
        for j in d["jobs"][:25]
    ]
    blocked = ""
    if d["blocked"]:
        blocked = (
            '<p class="alert">blocked: '
            + ", ".join(f"{esc(b['participant'])} on {esc(b['thread_id'])}" for b in d["blocked"])
            + "</p>"
        )
    return (
        blocked
        + "<h3>Threads</h3>"
        + table(("thread", "status", "title", "msgs", "unread"), t_cells, empty="no threads")
        + "<h3>Trigger jobs</h3>"
        + table(
            ("job", "target", "thread", "state", "tries", "why"), j_cells, empty="no trigger jobs"
        )
    )


PANEL = register(
    Panel(
        name="threads",
        title="Threads & triggers",
        order=90,
        kinds=("thread.", "trigger."),
        data=data,
        render=render,
    )
)
