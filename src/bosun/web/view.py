"""What panel data functions read from: the project context and the dashboard's settings.

One View serves every request; its reads run in worker threads and the store serialises
them. It never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.agents.driver import project_fleet

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.core.context import Context


@dataclass(frozen=True)
class Thresholds:
    yellow_after: float
    red_after: float


class View:
    def __init__(self, ctx: Context, *, probe_screens: bool | None = None) -> None:
        self.ctx = ctx
        self.probe_screens = (
            ctx.config.flag("dashboard.probe_screens")
            if probe_screens is None
            else probe_screens
        )
        self.rows = ctx.config.integer("dashboard.rows")
        self.thresholds = Thresholds(
            ctx.config.number("dashboard.yellow_after"),
            ctx.config.number("dashboard.red_after"),
        )

    def now(self) -> float:
        return self.ctx.clock.now()

    @cached_property
    def fleet(self) -> Fleet:
        return project_fleet(self.ctx)

    @property
    def runs_dir(self) -> Path | None:
        return self.ctx.paths.runs if self.ctx.paths else None

    def read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """A read-only named query (the dashboard's own live in store/queries_web.py)."""
        with self.ctx.store.transaction(write=False) as tx:
            return tx.all(query, **params)
