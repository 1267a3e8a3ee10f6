"""Work items and wisps through the core service, on every backend."""

from __future__ import annotations

import pytest
from store_contract import snapshot

from bosun.base.clock import FakeClock
from bosun.base.errors import IllegalTransition, InvalidInput, NotFound
from bosun.core.context import Context
from bosun.core.records import WorkStatus


def test_create_and_get(ctx: Context, clock: FakeClock) -> None:
    item = ctx.work.create("Fix the build", body="CI is red", priority=1)
    assert item.id.startswith("bo-")
    assert (item.status, item.priority, item.wisp, item.created_at) == (
        WorkStatus.OPEN,
        1,
        False,
        clock.now(),
    )
    assert ctx.work.get(item.id) == item
    event = ctx.events.since(0)[-1]
    assert (event.kind, event.subject, event.data["title"]) == (
        "work.created",
        item.id,
        "Fix the build",
    )


def test_the_whole_lifecycle_is_recorded(ctx: Context) -> None:
    item = ctx.work.create("Ship it")
    for status in ("in_progress", "impl_complete", "merge_ready", "merged", "closed"):
        assert ctx.work.set_status(item.id, status).status == status
    changes = [(e.data["old"], e.data["new"]) for e in ctx.events.since(0, kind="work.status")]
    assert changes == [
        ("open", "in_progress"),
        ("in_progress", "impl_complete"),
        ("impl_complete", "merge_ready"),
        ("merge_ready", "merged"),
        ("merged", "closed"),
    ]


def test_illegal_and_unknown_statuses_are_refused_and_change_nothing(ctx: Context) -> None:
    item = ctx.work.create("Ship it")
    before = snapshot(ctx.store)
    with pytest.raises(IllegalTransition, match="cannot go from open to merged"):
        ctx.work.set_status(item.id, "merged")
    with pytest.raises(InvalidInput, match="unknown work status 'done'"):
        ctx.work.set_status(item.id, "done")
    with pytest.raises(NotFound):
        ctx.work.set_status("bo-nope", "closed")
    assert snapshot(ctx.store) == before


def test_list_orders_by_priority_and_filters_by_status(ctx: Context, clock: FakeClock) -> None:
    low = ctx.work.create("low", priority=4)
    clock.advance(1)
    high = ctx.work.create("high", priority=0)
    clock.advance(1)
    mid = ctx.work.create("mid")
    ctx.work.set_status(mid.id, "in_progress")
    assert [w.id for w in ctx.work.list()] == [high.id, mid.id, low.id]
    assert [w.id for w in ctx.work.list(status="in_progress")] == [mid.id]


def test_ready_is_open_work_no_hook_holds(ctx: Context) -> None:
    free = ctx.work.create("free")
    held = ctx.work.create("held")
    closed = ctx.work.create("closed")
    ctx.work.set_status(closed.id, "closed")
    ctx.identities.create("polecat", "toast")
    ctx.hooks.pin("polecat", "toast", held.id)
    assert [w.id for w in ctx.work.ready()] == [free.id]


def test_wisps_are_hidden_unless_asked_for(ctx: Context, clock: FakeClock) -> None:
    normal = ctx.work.create("normal")
    wisp = ctx.work.create("scratch", wisp=True, ttl=60)
    assert wisp.wisp and wisp.id.startswith("wi-") and wisp.expires_at == clock.now() + 60
    assert [w.id for w in ctx.work.list()] == [normal.id]
    assert {w.id for w in ctx.work.list(include_wisps=True)} == {normal.id, wisp.id}
    assert [w.id for w in ctx.work.ready()] == [normal.id]
    assert {w.id for w in ctx.work.ready(include_wisps=True)} == {normal.id, wisp.id}


def test_expired_wisps_are_purged_unless_a_hook_still_works_on_them(
    ctx: Context, clock: FakeClock
) -> None:
    short = ctx.work.create("short", wisp=True, ttl=60)
    held = ctx.work.create("held", wisp=True, ttl=60)
    long = ctx.work.create("long", wisp=True, ttl=3600)
    ctx.identities.create("polecat", "toast")
    ctx.hooks.pin("polecat", "toast", held.id)
    assert ctx.work.purge_wisps() == []  # nothing has expired yet
    clock.advance(61)
    assert ctx.work.purge_wisps() == [short.id]
    assert {w.id for w in ctx.work.list(include_wisps=True)} == {held.id, long.id}
    assert ctx.events.since(0)[-1].kind == "work.purged"
    ctx.hooks.release("polecat", "toast")
    assert ctx.work.purge_wisps() == [held.id]


def test_bad_input_is_refused_before_the_store(ctx: Context) -> None:
    before = snapshot(ctx.store)
    for kwargs in (
        {"title": " "},
        {"title": "t", "priority": 5},
        {"title": "t", "ttl": 5.0},
        {"title": "t", "wisp": True, "ttl": -1.0},
        {"title": "t", "body": "x" * 70000},
    ):
        with pytest.raises(InvalidInput):
            ctx.work.create(**kwargs)  # type: ignore[arg-type]
    assert snapshot(ctx.store) == before
