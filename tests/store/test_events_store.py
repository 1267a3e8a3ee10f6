"""Reading the event log: since, tail, kind prefixes, subjects; on every backend."""

from __future__ import annotations

from bosun.base.clock import FakeClock
from bosun.core.context import Context


def _emit(ctx: Context, *kinds: str, subject: str = "s") -> list[int]:
    with ctx.store.transaction() as tx:
        return [tx.emit(kind, subject, {"n": i}) for i, kind in enumerate(kinds)]


def test_ids_grow_and_since_returns_what_came_after(ctx: Context, clock: FakeClock) -> None:
    first = _emit(ctx, "a.one", "a.two")
    clock.advance(1)
    second = _emit(ctx, "b.one")
    assert first[0] < first[1] < second[0]
    assert [e.id for e in ctx.events.since(0)] == first + second
    assert [e.id for e in ctx.events.since(first[1])] == second
    assert ctx.events.since(second[0]) == []
    event = ctx.events.since(first[0])[0]
    assert (event.kind, event.subject, event.data, event.ts) == (
        "a.two",
        "s",
        {"n": 1},
        clock.now() - 1,
    )
    assert ctx.events.last_id() == second[0]


def test_kind_filters_exact_and_by_prefix(ctx: Context) -> None:
    _emit(ctx, "hook.phase", "hook.checkpoint", "hookish.x", "work.status")
    assert [e.kind for e in ctx.events.since(0, kind="hook.phase")] == ["hook.phase"]
    assert [e.kind for e in ctx.events.since(0, kind="hook.")] == ["hook.phase", "hook.checkpoint"]
    assert [e.kind for e in ctx.events.since(0, kind="hook*")] == [
        "hook.phase",
        "hook.checkpoint",
        "hookish.x",
    ]
    assert ctx.events.since(0, kind="hook") == []


def test_a_literal_percent_or_underscore_in_a_kind_is_exact(ctx: Context) -> None:
    _emit(ctx, "x_y.a", "xzy.a", "100%.a")
    assert [e.kind for e in ctx.events.since(0, kind="x_y.a")] == ["x_y.a"]
    assert [e.kind for e in ctx.events.since(0, kind="100%.a")] == ["100%.a"]


def test_subject_filter_and_limit(ctx: Context) -> None:
    _emit(ctx, "k.a", "k.b", subject="one")
    _emit(ctx, "k.c", subject="two")
    assert [e.kind for e in ctx.events.since(0, subject="one")] == ["k.a", "k.b"]
    assert [e.kind for e in ctx.events.since(0, limit=2)] == ["k.a", "k.b"]


def test_tail_gives_the_last_events_oldest_first(ctx: Context) -> None:
    ids = _emit(ctx, "k.a", "k.b", "k.c", "j.d")
    assert [e.id for e in ctx.events.tail(2)] == ids[2:]
    assert [e.kind for e in ctx.events.tail(2, kind="k.")] == ["k.b", "k.c"]
    assert [e.kind for e in ctx.events.tail(10, subject="s")] == ["k.a", "k.b", "k.c", "j.d"]


def test_follow_yields_committed_events_then_stops(ctx: Context) -> None:
    ids = _emit(ctx, "k.a", "k.b")
    seen = list(ctx.events.follow(since=ids[0], poll=0.01, stop=lambda: True))
    assert [e.id for e in seen] == ids[1:]


def test_event_data_round_trips_json(ctx: Context) -> None:
    with ctx.store.transaction() as tx:
        tx.emit("k.data", "s", {"text": "ünïcode ✓", "n": 1.5, "list": [1, None], "nested": {}})
    assert ctx.events.since(0)[0].data == {
        "text": "ünïcode ✓",
        "n": 1.5,
        "list": [1, None],
        "nested": {},
    }


def test_a_kind_prefix_is_literal_and_case_sensitive(ctx: Context) -> None:
    _emit(ctx, "x_y.a", "xzy.a", "X_Y.b", "x_y.c")
    assert [e.kind for e in ctx.events.since(0, kind="x_y.")] == ["x_y.a", "x_y.c"]
    assert [e.kind for e in ctx.events.tail(10, kind="x_y.")] == ["x_y.a", "x_y.c"]
