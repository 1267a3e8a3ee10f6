"""The panel registry.

A panel is a small module in this package that calls `register(Panel(...))` with:
- `name` (the URL and element id: `/api/NAME`, `/panels/NAME`, `#panel-NAME`) and a title;
- `kinds`: event-kind prefixes that make it stale (`"merge."` patches the merge queue;
  `"*"`-free, compared with startswith);
- `data(view, params)`: JSON-ready data read from the store (the `/api/NAME` answer);
- `render(data)`: its HTML body (escaped; no inline scripts or styles).
Modules here are discovered, so adding a panel is adding one file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bosun.web.view import View

Data = dict[str, Any]


@dataclass(frozen=True)
class Panel:
    name: str
    title: str
    order: int
    kinds: tuple[str, ...]
    data: Callable[[View, Mapping[str, str]], Data]
    render: Callable[[Data], str]
    timely: bool = False  # shows ages: refreshed on the clock tick as well
    params: tuple[str, ...] = field(default=())  # query parameters it understands
    wide: bool = False

    def summary(self, data: Data) -> str:
        return str(data.get("summary", ""))

    def watches(self, kind: str) -> bool:
        return any(kind.startswith(k) for k in self.kinds)


_REGISTRY: dict[str, Panel] = {}
_LOADED = False


def register(panel: Panel) -> Panel:
    if panel.name in _REGISTRY and _REGISTRY[panel.name] is not panel:
        raise ValueError(f"panel {panel.name!r} registered twice")
    _REGISTRY[panel.name] = panel
    return panel


def all_panels() -> list[Panel]:
    """Every panel, in page order."""
    global _LOADED
    if not _LOADED:
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True
    return sorted(_REGISTRY.values(), key=lambda p: (p.order, p.name))


def get_panel(name: str) -> Panel | None:
    all_panels()
    return _REGISTRY.get(name)


class KindMap:
    """Event kind → names of the panels it makes stale (memoised; kinds are few)."""

    def __init__(self, panels: list[Panel]) -> None:
        self.panels = panels
        self._memo: dict[str, frozenset[str]] = {}

    def __call__(self, kind: str) -> frozenset[str]:
        found = self._memo.get(kind)
        if found is None:
            found = frozenset(p.name for p in self.panels if p.watches(kind))
            self._memo[kind] = found
        return found
