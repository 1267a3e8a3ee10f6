"""The terminal UI's data: one snapshot of the fleet, ordered by need of attention."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bosun.agents.driver import project_fleet
from bosun.base.clock import FakeClock
from bosun.core.context import Context, memory_context
from bosun.core.records import IdentityStatus
from bosun.tui.snapshot import snapshot_json, take_snapshot


@pytest.fixture
def ctx() -> Iterator[Context]:
    context = memory_context(FakeClock())
    try:
        yield context
    finally:
        context.close()


def test_agents_come_in_attention_order_with_their_reasons(ctx: Context) -> None:
    ids = ctx.identities
    for name in ("done", "crashed", "quiet", "quarantined", "escalated"):
        ids.create("polecat", name, runtime="sim")
    ids.set_status("polecat", "done", IdentityStatus.TERMINATED, "stopped")
    ids.set_status("polecat", "crashed", IdentityStatus.CRASHED, "exit 1")
    ids.set_status("polecat", "quarantined", IdentityStatus.QUARANTINED, "too many restarts")
    ids.create("bosun", "operator")
    ctx.signals.send("bosun/operator", "ESCALATION", {"identity": "polecat/escalated"})
    ids.create("crew", "builtin")  # no runtime, no session: not an agent to show

    snap = take_snapshot(ctx, project_fleet(ctx), probe=False)
    got = [(a.identity, a.attention.label, a.attention.why) for a in snap.agents]
    assert got == [
        ("polecat/escalated", "escalated", "escalated"),
        ("polecat/quarantined", "escalated", "quarantined"),
        ("polecat/crashed", "crashing", "crashed"),
        ("polecat/quiet", "crashing", "no session"),
        ("polecat/done", "done", "terminated"),
    ]
    assert snap.runs == () and snap.merges == () and snap.gates == ()
    assert [e.kind for e in snap.events][:1] == ["identity.created"]
    assert [e.id for e in snap.events] == sorted(e.id for e in snap.events)


def test_snapshot_json_carries_the_attention_and_iso_times(ctx: Context) -> None:
    ctx.identities.create("polecat", "toast", runtime="sim")
    data = snapshot_json(take_snapshot(ctx, project_fleet(ctx), probe=False))
    [agent] = data["agents"]
    assert agent["attention"] == {
        "level": "crashing", "rank": 2, "colour": "red", "why": "no session"
    }
    assert agent["last_activity"].endswith("Z") and agent["cost_usd"] is None
    assert data["merge_queue"] == [] and data["problems"] == []
