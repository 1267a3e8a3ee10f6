"""Panel data computed once per change and shared by every client.

An entry is fresh while no event that concerns its panel arrived since it was computed (the
hub's per-panel version) and, for panels that show ages, for `ttl` seconds. Concurrent
requests for the same stale entry wait for one computation instead of each reading the
store. Computations run in worker threads.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import anyio

from bosun.web.panels import Data, Panel
from bosun.web.view import View


@dataclass(frozen=True)
class Rendered:
    panel: str
    version: int
    data: Data
    body: str
    computed_at: float

    def section(self, panel: Panel, params: Mapping[str, str]) -> str:
        """The panel's whole <section>, as the page shows it and /panels/NAME returns it."""
        query = html.escape(urlencode(sorted(params.items())))
        cls = "panel wide" if panel.wide else "panel"
        return (
            f'<section class="{cls}" id="panel-{panel.name}" data-panel="{panel.name}" '
            f'data-version="{self.version}" data-params="{query}">'
            f"<header><h2>{html.escape(panel.title)}</h2>"
            f'<span class="summary">{html.escape(panel.summary(self.data))}</span></header>'
            f'<div class="body">{self.body}</div></section>'
        )


class PanelCache:
    def __init__(
        self, view: View, version: Callable[[str], int], ttl: float = 2.0, max_entries: int = 256
    ) -> None:
        self.view = view
        self.version = version
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[tuple[str, tuple[tuple[str, str], ...]], Rendered] = {}
        self._locks: dict[tuple[str, tuple[tuple[str, str], ...]], asyncio.Lock] = {}
        self.computations = 0

    def _fresh(self, panel: Panel, entry: Rendered | None) -> bool:
        if entry is None or entry.version < self.version(panel.name):
            return False
        return not panel.timely or time.monotonic() - entry.computed_at < self.ttl

    async def get(self, panel: Panel, params: Mapping[str, str]) -> Rendered:
        key = (panel.name, tuple(sorted((k, v) for k, v in params.items() if k in panel.params)))
        entry = self._entries.get(key)
        if self._fresh(panel, entry):
            assert entry is not None
            return entry
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            entry = self._entries.get(key)
            if self._fresh(panel, entry):
                assert entry is not None
                return entry
            version = self.version(panel.name)  # read before the data: never newer than it
            wanted = dict(key[1])
            data, body = await anyio.to_thread.run_sync(self._compute, panel, wanted)
            entry = Rendered(panel.name, version, data, body, time.monotonic())
            if len(self._entries) >= self.max_entries and key not in self._entries:
                self._entries.pop(next(iter(self._entries)))
                self._locks.pop(next(iter(self._locks)), None)
            self._entries[key] = entry
            return entry

    def _compute(self, panel: Panel, params: Mapping[str, str]) -> tuple[Data, str]:
        self.computations += 1
        data = panel.data(self.view, params)
        return data, panel.render(data)
