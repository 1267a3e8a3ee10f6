"""The resume queue: sessions that ended mid-work, waiting to be revived, and the breaker.

`entries` are `bosun resume-queue list --json` rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bosun.supervisor.resume_entries import entry_json
from bosun.supervisor.resume_queue import ResumeQueue
from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import ago, badge, esc, short, table

if TYPE_CHECKING:
    from bosun.web.view import View

OPEN = ("queued", "starting")


def data(view: View, params: Mapping[str, str]) -> Data:
    queue = ResumeQueue(view.ctx)
    now = view.now()
    entries = [entry_json(e, now) for e in queue.list()]
    entries.reverse()  # newest first
    state = queue.summary()
    waiting = sum(1 for e in entries if e["status"] in OPEN)
    summary = f"{waiting} waiting" + (" · breaker OPEN" if state["breaker_open"] else "")
    return {"entries": entries[: view.rows], "breaker": state, "summary": summary}


def render(d: Data) -> str:
    breaker = d["breaker"]
    note = ""
    if breaker["breaker_open"]:
        note = (
            f'<p class="alert">breaker open after {esc(breaker["consecutive_failures"])} '
            f"failures, until {esc(breaker['breaker_until'])}</p>"
        )
    rows = d["entries"][:30]
    cells = [
        [
            esc(e["id"]),
            esc(e["identity"]),
            badge(e["status"]),
            esc(e["cause"]),
            esc(e["attempts"]),
            esc(e["work_id"] or "-"),
            esc(ago(e["expires_in_s"])) if e["expires_in_s"] > 0 else "expired",
            esc(short(e["reason"] or e["last_error"] or "", 60)),
        ]
        for e in rows
    ]
    return note + table(
        ("id", "identity", "status", "cause", "tries", "work", "ttl", "why"),
        cells,
        empty="the resume queue is empty",
    )


PANEL = register(
    Panel(
        name="resume-queue",
        title="Resume queue",
        order=70,
        kinds=("resume.",),
        data=data,
        render=render,
        timely=True,
    )
)
