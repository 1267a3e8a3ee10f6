"""The event feed: the newest events of the log (`bosun events --json` rows). Live frames
prepend to it in the browser; a reload or a reset renders it from here, so every event makes
the cached feed stale (`kinds=("",)`): a reload shows the log as it is now. The browser does
not refetch it on change frames; it prepends the frame's events instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import esc, short

if TYPE_CHECKING:
    from bosun.web.view import View

FEED = 100


def data(view: View, params: Mapping[str, str]) -> Data:
    events = [e.to_json() for e in view.ctx.events.tail(FEED)]
    events.reverse()  # newest first
    last = events[0]["id"] if events else 0
    return {"events": events, "summary": f"last #{last}" if events else "no events yet"}


def render(d: Data) -> str:
    items = "".join(
        f'<li data-event="{esc(e["id"])}"><span class="ts">{esc((e["ts"] or "")[11:23])}</span>'
        f' <span class="kind">{esc(e["kind"])}</span> <span class="subject">'
        f'{esc(e["subject"])}</span> <span class="data">{esc(short(_data(e["data"]), 90))}'
        "</span></li>"
        for e in d["events"]
    )
    return f'<ol class="feed">{items}</ol>' if items else '<p class="empty">no events yet</p>'


def _data(data: object) -> str:
    if isinstance(data, dict):
        return ", ".join(f"{k}={v}" for k, v in data.items() if v not in (None, "", {}, []))
    return str(data)


PANEL = register(
    Panel(
        name="events",
        title="Event feed",
        order=110,
        kinds=("",),  # every event: the feed is never served stale after a reload
        data=data,
        render=render,
    )
)
