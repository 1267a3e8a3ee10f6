"""`bosun run agents RUN_ID`: every layer of a run with its status, phase and heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.chain.names import ROLES, initiative

if TYPE_CHECKING:
    from bosun.core.context import Context


@dataclass(frozen=True)
class LayerAgent:
    layer: int
    identity: str
    status: str
    status_reason: str | None
    phase: str | None
    work_id: str | None
    incarnation: int
    pid: int | None
    last_heartbeat: float
    heartbeat_age_s: float

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["last_heartbeat"] = iso(self.last_heartbeat)
        return data


def run_agents(ctx: Context, run_id: str) -> list[LayerAgent]:
    """The identities of run `run_id`, layer by layer (launcher, guardian, runners,
    orchestrators)."""
    wanted = initiative(run_id)
    now = ctx.clock.now()
    hooks = {f"{h.role}/{h.name}": h for h in ctx.hooks.list()}
    found = []
    for ident in ctx.identities.list():
        if ident.initiative != wanted or ident.role not in ROLES:
            continue
        hook = hooks.get(ident.ref)
        found.append(
            LayerAgent(
                layer=int(ROLES[ident.role]),
                identity=ident.ref,
                status=str(ident.status),
                status_reason=ident.status_reason,
                phase=str(hook.phase) if hook else None,
                work_id=hook.work_id if hook else None,
                incarnation=ident.incarnation,
                pid=ident.pid,
                last_heartbeat=ident.last_seen,
                heartbeat_age_s=round(max(0.0, now - ident.last_seen), 3),
            )
        )
    return sorted(found, key=lambda a: (a.layer, a.identity))
