"""The supervisor answers a permission prompt its preset's `auto_approve` allows: it presses
the preset's `approve_keys` and records `agent.auto_approved` (pattern, request, keys).
Anything else waits for a person, as before."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bosun.base.errors import BosunError
from bosun.supervisor.policies.approve import approval_for, check_patterns

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.agents.sessions import AgentSession
    from bosun.core.context import Context

RETRY_AFTER = 10.0  # the same request is not approved again sooner (its keys may be on the way)


class AutoApprover:
    def __init__(self, ctx: Context, fleet: Fleet) -> None:
        self.ctx, self.fleet = ctx, fleet
        self.last: dict[str, tuple[str, float]] = {}

    def consider(self, session: AgentSession, now: float) -> str | None:
        """Approve the prompt on `session`'s screen when allowed; what it did, or None."""
        preset = self.fleet.preset(session.preset)
        if not preset.auto_approve:
            return None
        patterns = check_patterns(preset.auto_approve, f"runtime preset {preset.name}")
        handle = self.fleet.handle(session)
        try:
            approval = approval_for(self.fleet.runtime.capture(handle, 40), patterns)
        except BosunError:
            return None
        if approval is None:
            return None
        seen = self.last.get(session.ref)
        if seen is not None and seen[0] == approval.request and now - seen[1] < RETRY_AFTER:
            return None
        for key in preset.approve_keys:
            self.fleet.runtime.press(handle, key)
        self.last[session.ref] = (approval.request, now)
        with self.ctx.store.transaction() as tx:
            tx.emit(
                "agent.auto_approved",
                session.ref,
                {
                    "pattern": approval.pattern,
                    "request": approval.request,
                    "keys": list(preset.approve_keys),
                    "incarnation": session.incarnation,
                },
            )
        return f"auto-approved {approval.request!r} (rule {approval.pattern!r})"
