"""Identities through the core service, on every backend."""

from __future__ import annotations

import pytest
from store_contract import snapshot

from bosun.base.clock import FakeClock
from bosun.base.errors import IllegalTransition, InvalidName, NotFound
from bosun.core.context import Context
from bosun.core.records import IdentityStatus


def kinds(ctx: Context) -> list[str]:
    return [e.kind for e in ctx.events.since(0)]


def test_create_records_an_active_first_incarnation(ctx: Context, clock: FakeClock) -> None:
    made = ctx.identities.create(
        "polecat",
        "toast",
        session_id="s1",
        worktree="/w",
        runtime="sim",
        initiative="auth",
        host="h1",
    )
    assert (made.status, made.incarnation, made.created_at, made.last_seen) == (
        IdentityStatus.ACTIVE,
        1,
        clock.now(),
        clock.now(),
    )
    assert ctx.identities.get("polecat", "toast") == made
    assert (made.session_id, made.worktree, made.runtime, made.initiative, made.host) == (
        "s1",
        "/w",
        "sim",
        "auth",
        "h1",
    )
    assert kinds(ctx) == ["identity.created"]


def test_create_is_idempotent_and_refreshes_given_fields(ctx: Context, clock: FakeClock) -> None:
    first = ctx.identities.create("polecat", "toast", runtime="sim")
    clock.advance(10)
    again = ctx.identities.create("polecat", "toast")
    assert again == first
    assert kinds(ctx) == ["identity.created"]  # nothing changed, nothing recorded
    refreshed = ctx.identities.create("polecat", "toast", runtime="claude")
    assert refreshed.runtime == "claude" and refreshed.created_at == first.created_at
    assert kinds(ctx) == ["identity.created", "identity.updated"]
    assert [i.ref for i in ctx.identities.list()] == ["polecat/toast"]


def test_heartbeat_moves_last_seen_and_records_no_event(ctx: Context, clock: FakeClock) -> None:
    ctx.identities.create("polecat", "toast")
    clock.advance(42)
    seen = ctx.identities.heartbeat("polecat", "toast")
    assert seen.last_seen == clock.now() and seen.status == IdentityStatus.ACTIVE
    assert ctx.identities.get("polecat", "toast").last_seen == clock.now()
    assert kinds(ctx) == ["identity.created"]


def test_heartbeat_brings_a_stale_identity_back_with_an_event(
    ctx: Context, clock: FakeClock
) -> None:
    ctx.identities.create("polecat", "toast")
    ctx.identities.set_status("polecat", "toast", IdentityStatus.STALE, "no heartbeat")
    clock.advance(1)
    back = ctx.identities.heartbeat("polecat", "toast")
    assert back.status == IdentityStatus.ACTIVE
    last = ctx.events.since(0)[-1]
    assert (last.kind, last.subject, last.data["old"], last.data["new"]) == (
        "identity.status",
        "polecat/toast",
        "stale",
        "active",
    )


def test_heartbeat_of_an_unknown_identity_is_not_found(ctx: Context) -> None:
    before = snapshot(ctx.store)
    with pytest.raises(NotFound, match="no identity polecat/ghost"):
        ctx.identities.heartbeat("polecat", "ghost")
    assert snapshot(ctx.store) == before


def test_find_stale_uses_the_timeout_and_skips_terminated(ctx: Context, clock: FakeClock) -> None:
    for name in ("old", "gone", "fresh"):
        ctx.identities.create("polecat", name)
    ctx.identities.mark_terminated("polecat", "gone", "done")
    clock.advance(301)
    ctx.identities.heartbeat("polecat", "fresh")
    assert [i.name for i in ctx.identities.find_stale()] == ["old"]  # default 300 s
    assert [i.name for i in ctx.identities.find_stale(400)] == []
    clock.advance(100)
    assert [i.name for i in ctx.identities.find_stale(60)] == ["old", "fresh"]
    assert [i.name for i in ctx.identities.list(stale_only=True)] == ["old"]


def test_find_stale_orders_by_last_seen(ctx: Context, clock: FakeClock) -> None:
    for name in ("c", "a", "b"):
        ctx.identities.create("polecat", name)
        clock.advance(1)
    clock.advance(500)
    assert [i.name for i in ctx.identities.find_stale(10)] == ["c", "a", "b"]


def test_crash_and_terminate_are_transitions_with_events(ctx: Context) -> None:
    ctx.identities.create("polecat", "toast")
    crashed = ctx.identities.mark_crashed("polecat", "toast", "exit 137")
    assert (crashed.status, crashed.status_reason) == (IdentityStatus.CRASHED, "exit 137")
    done = ctx.identities.mark_terminated("polecat", "toast")
    assert done.status == IdentityStatus.TERMINATED
    events = [e for e in ctx.events.since(0) if e.kind == "identity.status"]
    assert [(e.data["old"], e.data["new"]) for e in events] == [
        ("active", "crashed"),
        ("crashed", "terminated"),
    ]


def test_an_illegal_transition_is_refused_and_changes_nothing(ctx: Context) -> None:
    ctx.identities.create("polecat", "toast")
    ctx.identities.mark_terminated("polecat", "toast")
    before = snapshot(ctx.store)
    with pytest.raises(IllegalTransition, match="cannot go from terminated to crashed"):
        ctx.identities.mark_crashed("polecat", "toast")
    assert snapshot(ctx.store) == before


def test_invalid_names_are_refused_before_the_store(ctx: Context) -> None:
    before = snapshot(ctx.store)
    for role, name in (("polecat", "../x"), ("A B", "x"), ("polecat", ""), ("r", "n" * 200)):
        with pytest.raises(InvalidName):
            ctx.identities.create(role, name)
    assert snapshot(ctx.store) == before


def test_list_filters_by_role_and_status(ctx: Context) -> None:
    ctx.identities.create("polecat", "a")
    ctx.identities.create("polecat", "b")
    ctx.identities.create("runner", "c")
    ctx.identities.mark_crashed("polecat", "b")
    assert [i.ref for i in ctx.identities.list(role="polecat")] == ["polecat/a", "polecat/b"]
    assert [i.ref for i in ctx.identities.list(status="crashed")] == ["polecat/b"]
    assert [i.ref for i in ctx.identities.list()] == ["polecat/a", "polecat/b", "runner/c"]


def test_a_new_incarnation_counts_up_and_is_active(ctx: Context, clock: FakeClock) -> None:
    ctx.identities.create("polecat", "toast")
    ctx.identities.mark_crashed("polecat", "toast")
    clock.advance(5)
    with ctx.store.transaction() as tx:
        again = ctx.identities.new_incarnation(tx, "polecat", "toast", session_id="s2", pid=7)
    assert (again.incarnation, again.status, again.session_id, again.pid, again.last_seen) == (
        2,
        IdentityStatus.ACTIVE,
        "s2",
        7,
        clock.now(),
    )
    assert ctx.events.since(0)[-1].kind == "identity.incarnation"
