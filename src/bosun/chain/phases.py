"""Moving an orchestrator's hook forward through its phases.

The runner and the guardian only ever move a hook forward (assigned → executing →
impl_complete → validating → merged); a hook already at or past the goal is left alone, so
an agent that advanced its own hook is never pulled back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bosun.core.prime import ORDER
from bosun.core.records import PHASE_TRANSITIONS, Phase

if TYPE_CHECKING:
    from bosun.core.context import Context


def forward_path(current: Phase, goal: Phase) -> list[Phase]:
    """The phases to pass through from `current` to `goal`, in ORDER; [] when `current`
    is at or past `goal` (or off the main line: blocked, released)."""
    if current not in ORDER or goal not in ORDER or ORDER.index(current) >= ORDER.index(goal):
        return []
    paths: list[list[Phase]] = [[current]]
    while paths:  # breadth first over forward moves: the shortest forward walk
        grown = []
        for path in paths:
            for nxt in ORDER[ORDER.index(path[-1]) + 1 : ORDER.index(goal) + 1]:
                if nxt in PHASE_TRANSITIONS[path[-1]]:
                    if nxt == goal:
                        return [*path[1:], nxt]
                    grown.append([*path, nxt])
        paths = grown
    return []


def advance(ctx: Context, role: str, name: str, goal: Phase) -> list[Phase]:
    """Walk the hook forward to `goal` in one transaction; returns the phases set."""
    with ctx.store.transaction() as tx:
        hook = ctx.hooks.find_in(tx, role, name)
        if hook is None:
            return []
        path = forward_path(hook.phase, goal)
        for phase in path:
            ctx.hooks.update_phase_in(tx, role, name, phase)
        return path
