"""What shows that an agent node works, for the run's stall watchdog.

A node's orchestrator shows work in five ways: its screen changes (the runtime's last
activity), it calls `bosun` (its tool calls and hook events move its identity's last_seen),
it commits on its branch, it asks its model (the status line rewrites its context file on
each request), and it checkpoints its hook. `read_marks` reads them; `moved` — pure — says
which moved since the last reading. Any one of them is progress.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from bosun.base.errors import BosunError
from bosun.chain.names import Layer
from bosun.gitops.git import Git

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.core.context import Context

ROLE = Layer.ORCHESTRATOR.role


@dataclass(frozen=True)
class WorkMarks:
    screen: float | None = None  # the session's last activity (epoch seconds)
    tool_call: float | None = None  # the identity's last_seen: its own bosun calls
    commit: str | None = None  # the head of its branch
    model_request: float | None = None  # the context file's mtime
    checkpoint: float | None = None  # the hook's checkpoint_at


def moved(before: WorkMarks | None, now: WorkMarks) -> list[str]:
    """The marks that changed since `before` (the first reading is the baseline: none)."""
    if before is None:
        return []
    return [
        f.name
        for f in fields(WorkMarks)
        if getattr(now, f.name) is not None and getattr(now, f.name) != getattr(before, f.name)
    ]


def read_marks(ctx: Context, fleet: Fleet, name: str, branch: str) -> WorkMarks:
    """The orchestrator `name`'s marks now (a mark that cannot be read is None)."""
    screen = tool_call = model = checkpoint = None
    commit = None
    with contextlib.suppress(BosunError):
        identity = ctx.identities.find(ROLE, name)
        tool_call = identity.last_seen if identity is not None else None
        hook = ctx.hooks.find(ROLE, name)
        checkpoint = hook.checkpoint_at if hook is not None else None
        session = fleet.session(ROLE, name)
        if session is not None and session.live:
            screen = fleet.runtime.last_activity(fleet.handle(session))
    if ctx.paths is not None:
        with contextlib.suppress(OSError):
            model = ctx.paths.context_file(ROLE, name).stat().st_mtime
        with contextlib.suppress(BosunError, OSError):
            commit = Git(ctx.paths.root).rev(f"refs/heads/{branch}")
    return WorkMarks(screen, tool_call, commit, model, checkpoint)
