"""A work item and the hooks that hold it move together, on every backend (issue 17 item 14).

Either side may move first — `work update`, a hook phase, a pin, a release — and the other
follows in the same transaction, or the move is refused and nothing changes.
"""

from __future__ import annotations

import pytest
from store_contract import snapshot

from bosun.base.errors import InvalidInput
from bosun.core.agreement import disagreements
from bosun.core.context import Context
from bosun.core.records import Phase, WorkStatus


@pytest.fixture
def work_id(ctx: Context) -> str:
    ctx.identities.create("polecat", "toast")
    return ctx.work.create("Add login").id


def _phase(ctx: Context) -> Phase:
    return ctx.hooks.get("polecat", "toast").phase


def test_work_update_moves_the_hook(ctx: Context, work_id: str) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    ctx.hooks.update_phase("polecat", "toast", "executing")
    ctx.work.set_status(work_id, "impl_complete", by="cli")
    assert _phase(ctx) == Phase.IMPL_COMPLETE
    ctx.work.set_status(work_id, "merge_ready", by="cli")
    assert _phase(ctx) == Phase.MERGE_READY
    ctx.work.set_status(work_id, "merged", by="cli")
    assert _phase(ctx) == Phase.MERGED
    moved = [e for e in ctx.events.since(0, kind="hook.phase") if e.data.get("by") == "cli"]
    assert [e.data["new"] for e in moved] == ["impl_complete", "merge_ready", "merged"]
    assert disagreements(ctx) == []


def test_work_update_back_to_in_progress_sends_the_hook_back_to_executing(
    ctx: Context, work_id: str
) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    for phase in ("executing", "impl_complete", "merge_ready"):
        ctx.hooks.update_phase("polecat", "toast", phase)
    ctx.work.set_status(work_id, "in_progress", by="cli")
    assert _phase(ctx) == Phase.EXECUTING
    assert disagreements(ctx) == []


def test_work_reopened_or_rejected_releases_its_hook(ctx: Context, work_id: str) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    ctx.work.set_status(work_id, "open", by="cli")
    assert _phase(ctx) == Phase.RELEASED
    assert [w.id for w in ctx.work.ready()] == [work_id]
    ctx.hooks.pin("polecat", "toast", work_id)
    ctx.work.set_status(work_id, "rejected", by="cli")
    assert _phase(ctx) == Phase.RELEASED
    assert disagreements(ctx) == []


def test_a_released_hook_returns_its_work_to_ready(ctx: Context, work_id: str) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    ctx.hooks.update_phase("polecat", "toast", "executing")
    ctx.hooks.release("polecat", "toast")
    assert ctx.work.get(work_id).status == WorkStatus.OPEN
    assert [w.id for w in ctx.work.ready()] == [work_id]
    assert disagreements(ctx) == []


def test_a_reopened_item_is_ready_although_a_released_hook_names_it(
    ctx: Context, work_id: str
) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    ctx.work.set_status(work_id, "rejected", by="cli")
    ctx.hooks.release("polecat", "toast")
    ctx.work.set_status(work_id, "open", by="cli")  # reopened
    assert ctx.hooks.get("polecat", "toast").phase == Phase.RELEASED
    assert [w.id for w in ctx.work.ready()] == [work_id]


def test_moving_the_hook_to_merged_by_hand_merges_the_work(ctx: Context, work_id: str) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    for phase in ("executing", "impl_complete", "validating", "merged"):
        ctx.hooks.update_phase("polecat", "toast", phase)
    assert ctx.work.get(work_id).status == WorkStatus.MERGED
    statuses = [e.data["new"] for e in ctx.events.since(0, kind="work.status")]
    assert statuses[-2:] == ["merge_ready", "merged"]  # along legal transitions
    assert disagreements(ctx) == []


def test_finishing_a_conflict_moves_the_work_out_of_merge_conflict(
    ctx: Context, work_id: str
) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    for phase in ("executing", "merge_ready"):
        ctx.hooks.update_phase("polecat", "toast", phase)
    ctx.work.set_status(work_id, "merge_conflict", by="refinery/merge-queue")
    assert _phase(ctx) == Phase.EXECUTING  # handed back to resolve it
    assert ctx.work.get(work_id).status == WorkStatus.MERGE_CONFLICT
    ctx.hooks.update_phase("polecat", "toast", "impl_complete")
    assert ctx.work.get(work_id).status == WorkStatus.IMPL_COMPLETE
    assert disagreements(ctx) == []


@pytest.mark.parametrize("status", ["closed", "rejected"])
def test_finished_work_cannot_be_pinned(ctx: Context, status: str) -> None:
    ctx.identities.create("polecat", "toast")
    item = ctx.work.create("done already")
    ctx.work.set_status(item.id, status)
    before = snapshot(ctx.store)
    with pytest.raises(InvalidInput, match=f"work item {item.id} is {status}"):
        ctx.hooks.pin("polecat", "toast", item.id)
    assert snapshot(ctx.store) == before


def test_two_holders_follow_the_one_furthest_along(ctx: Context, work_id: str) -> None:
    """A pipeline node's runner and orchestrator hold the same work item: the item follows
    the holder furthest along, and a hook behind it does not pull it back."""
    ctx.identities.create("orchestrator", "impl")
    ctx.hooks.pin("polecat", "toast", work_id)
    ctx.hooks.update_phase("polecat", "toast", "executing")
    ctx.hooks.pin("orchestrator", "impl", work_id)
    for phase in ("executing", "impl_complete"):
        ctx.hooks.update_phase("orchestrator", "impl", phase)
    assert ctx.work.get(work_id).status == WorkStatus.IMPL_COMPLETE
    ctx.hooks.release("polecat", "toast")
    assert ctx.work.get(work_id).status == WorkStatus.IMPL_COMPLETE
    ctx.hooks.release("orchestrator", "impl")
    assert ctx.work.get(work_id).status == WorkStatus.IMPL_COMPLETE  # done, not undone
    assert disagreements(ctx) == []
