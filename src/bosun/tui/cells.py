"""How one agent row reads in the fleet table."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from bosun.tui.snapshot import AgentRow

AGENT_COLUMNS = ("", "agent", "runtime", "why", "phase", "work", "ctx", "cost", "inc", "active")


def ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def agent_cells(row: AgentRow) -> tuple[Any, ...]:
    level = row.attention
    return (
        Text(level.label, style=f"bold {level.colour}"),
        row.identity + (" (crew)" if row.crew else ""),
        row.runtime,
        level.why,
        row.phase or "-",
        row.work_id or "-",
        f"{row.context_pct:.0f}%" if row.context_pct is not None else "-",
        f"${row.cost_usd:.2f}" if row.cost_usd is not None else "-",
        str(row.incarnation),
        ago(row.idle_s),
    )
