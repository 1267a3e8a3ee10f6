"""Hooks (pinned work) through the core service, on every backend."""

from __future__ import annotations

import pytest
from store_contract import snapshot

from bosun.base.clock import FakeClock
from bosun.base.errors import IllegalTransition, InvalidInput, NotFound
from bosun.core.context import Context
from bosun.core.records import Phase, WorkStatus


@pytest.fixture
def work_id(ctx: Context) -> str:
    ctx.identities.create("polecat", "toast")
    return ctx.work.create("Add login", body="the form and the route").id


def test_pin_assigns_the_work_and_starts_it(ctx: Context, work_id: str, clock: FakeClock) -> None:
    hook = ctx.hooks.pin("polecat", "toast", work_id)
    assert (hook.work_id, hook.phase, hook.summary, hook.pinned_at) == (
        work_id,
        Phase.ASSIGNED,
        "Add login",
        clock.now(),
    )
    assert [h.phase for h in hook.history] == [Phase.ASSIGNED]
    assert ctx.work.get(work_id).status == WorkStatus.IN_PROGRESS
    assert ctx.hooks.get("polecat", "toast") == hook
    kinds = [e.kind for e in ctx.events.since(0)]
    assert kinds[-2:] == ["work.status", "hook.pinned"]


def test_pinning_the_same_work_again_changes_nothing(ctx: Context, work_id: str) -> None:
    first = ctx.hooks.pin("polecat", "toast", work_id)
    before = snapshot(ctx.store)
    assert ctx.hooks.pin("polecat", "toast", work_id) == first
    assert snapshot(ctx.store) == before


def test_other_work_is_refused_while_the_hook_is_unfinished(ctx: Context, work_id: str) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    other = ctx.work.create("Other").id
    before = snapshot(ctx.store)
    with pytest.raises(InvalidInput, match="already holds unfinished work"):
        ctx.hooks.pin("polecat", "toast", other)
    assert snapshot(ctx.store) == before


def test_phases_advance_with_history_and_events(
    ctx: Context, work_id: str, clock: FakeClock
) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    for phase in ("executing", "impl_complete", "validating", "merge_ready"):
        clock.advance(1)
        hook = ctx.hooks.update_phase("polecat", "toast", phase)
        assert hook.phase == phase and hook.updated_at == clock.now()
    assert [(h.old, h.phase) for h in hook.history] == [
        (None, Phase.ASSIGNED),
        (Phase.ASSIGNED, Phase.EXECUTING),
        (Phase.EXECUTING, Phase.IMPL_COMPLETE),
        (Phase.IMPL_COMPLETE, Phase.VALIDATING),
        (Phase.VALIDATING, Phase.MERGE_READY),
    ]
    phase_events = ctx.events.since(0, kind="hook.phase")
    assert [(e.data["old"], e.data["new"]) for e in phase_events] == [
        ("assigned", "executing"),
        ("executing", "impl_complete"),
        ("impl_complete", "validating"),
        ("validating", "merge_ready"),
    ]
    assert ctx.work.get(work_id).status == WorkStatus.MERGE_READY  # the work item followed


def test_the_same_phase_again_is_a_no_op(ctx: Context, work_id: str) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    ctx.hooks.update_phase("polecat", "toast", "executing")
    before = snapshot(ctx.store)
    ctx.hooks.update_phase("polecat", "toast", "executing")
    assert snapshot(ctx.store) == before


def test_an_illegal_or_unknown_phase_is_refused_and_changes_nothing(
    ctx: Context, work_id: str
) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    before = snapshot(ctx.store)
    with pytest.raises(IllegalTransition, match="cannot go from assigned to merged"):
        ctx.hooks.update_phase("polecat", "toast", "merged")
    with pytest.raises(InvalidInput, match="unknown phase 'shipping'"):
        ctx.hooks.update_phase("polecat", "toast", "shipping")
    assert snapshot(ctx.store) == before


def test_checkpoint_keeps_the_last_note_and_its_time(
    ctx: Context, work_id: str, clock: FakeClock
) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    clock.advance(3)
    hook = ctx.hooks.checkpoint("polecat", "toast", "tests pass")
    assert (hook.checkpoint_note, hook.checkpoint_at) == ("tests pass", clock.now())
    clock.advance(3)
    hook = ctx.hooks.checkpoint("polecat", "toast")  # no note: keep the last one
    assert (hook.checkpoint_note, hook.checkpoint_at) == ("tests pass", clock.now())
    notes = [e.data["note"] for e in ctx.events.since(0, kind="hook.checkpoint")]
    assert notes == ["tests pass", None]


def test_resumption_instructions_are_kept_for_the_next_session(ctx: Context, work_id: str) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    hook = ctx.hooks.update_resumption("polecat", "toast", "run make test, then fix auth.py")
    assert ctx.hooks.get("polecat", "toast").resumption == hook.resumption
    assert hook.resumption == "run make test, then fix auth.py"
    assert ctx.events.since(0)[-1].kind == "hook.resumption"


def test_release_finishes_the_hook_and_frees_the_identity(ctx: Context, work_id: str) -> None:
    ctx.hooks.pin("polecat", "toast", work_id)
    released = ctx.hooks.release("polecat", "toast")
    assert released.phase == Phase.RELEASED and not released.unfinished
    kinds = [e.kind for e in ctx.events.since(0)]
    assert kinds[-3:] == ["hook.phase", "hook.released", "work.status"]  # back to open
    assert ctx.work.get(work_id).status == WorkStatus.OPEN
    before = snapshot(ctx.store)
    assert ctx.hooks.release("polecat", "toast") == released  # again: nothing changes
    assert snapshot(ctx.store) == before
    other = ctx.work.create("Next").id
    assert ctx.hooks.pin("polecat", "toast", other).work_id == other


def test_hooks_of_unknown_identities_and_missing_hooks(ctx: Context, work_id: str) -> None:
    with pytest.raises(NotFound, match="no identity polecat/ghost"):
        ctx.hooks.pin("polecat", "ghost", work_id)
    with pytest.raises(NotFound, match="polecat/toast has no hook"):
        ctx.hooks.checkpoint("polecat", "toast", "x")
    with pytest.raises(NotFound, match="no work item 'bo-none'"):
        ctx.hooks.pin("polecat", "toast", "bo-none")
    assert ctx.hooks.find("polecat", "toast") is None
    assert ctx.hooks.list() == []
