"""Signals through the core service, on every backend."""

from __future__ import annotations

import pytest
from store_contract import snapshot

from bosun.base.clock import FakeClock
from bosun.base.errors import InvalidInput, InvalidName, NotFound
from bosun.core.context import Context
from bosun.core.signals import parse_payload


@pytest.fixture(autouse=True)
def identities(ctx: Context) -> None:
    ctx.identities.create("polecat", "toast")
    ctx.identities.create("refinery", "main")


def test_send_records_type_payload_sender_and_an_event(ctx: Context, clock: FakeClock) -> None:
    sent = ctx.signals.send(
        "refinery/main", "MERGE_READY", {"branch": "bosun/toast"}, sender="polecat/toast"
    )
    assert (sent.to, sent.type, sent.payload, sent.sender, sent.created_at, sent.acked_at) == (
        "refinery/main",
        "MERGE_READY",
        {"branch": "bosun/toast"},
        "polecat/toast",
        clock.now(),
        None,
    )
    event = ctx.events.since(0)[-1]
    assert (event.kind, event.subject, event.data["id"]) == (
        "signal.sent",
        "refinery/main",
        sent.id,
    )


def test_custom_types_need_the_x_prefix(ctx: Context) -> None:
    assert ctx.signals.send("polecat/toast", "x-deploy").type == "x-deploy"
    before = snapshot(ctx.store)
    with pytest.raises(InvalidInput, match="unknown signal type 'DEPLOY'"):
        ctx.signals.send("polecat/toast", "DEPLOY")
    assert snapshot(ctx.store) == before


def test_unknown_recipients_and_senders_are_refused(ctx: Context) -> None:
    before = snapshot(ctx.store)
    with pytest.raises(NotFound, match="no identity polecat/ghost"):
        ctx.signals.send("polecat/ghost", "NUDGE")
    with pytest.raises(NotFound, match="no identity polecat/ghost"):
        ctx.signals.send("polecat/toast", "NUDGE", sender="polecat/ghost")
    with pytest.raises(InvalidName):
        ctx.signals.send("polecat", "NUDGE")
    assert snapshot(ctx.store) == before


def test_a_payload_must_be_a_json_object(ctx: Context) -> None:
    assert parse_payload('{"a": 1}') == {"a": 1}
    with pytest.raises(InvalidInput, match="payload is not JSON"):
        parse_payload("{nope")
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        parse_payload("[1]")


def test_ack_marks_read_once(ctx: Context, clock: FakeClock) -> None:
    sent = ctx.signals.send("polecat/toast", "NUDGE")
    clock.advance(2)
    acked = ctx.signals.ack(sent.id)
    assert acked.acked_at == clock.now()
    before = snapshot(ctx.store)
    clock.advance(2)
    assert ctx.signals.ack(sent.id).acked_at == acked.acked_at  # again: unchanged
    assert snapshot(ctx.store) == before
    with pytest.raises(NotFound, match="no signal 'sg-none'"):
        ctx.signals.ack("sg-none")


def test_list_by_recipient_unread_and_type(ctx: Context, clock: FakeClock) -> None:
    a = ctx.signals.send("polecat/toast", "NUDGE")
    clock.advance(1)
    b = ctx.signals.send("polecat/toast", "MERGE_COMPLETE")
    clock.advance(1)
    c = ctx.signals.send("refinery/main", "MERGE_READY")
    ctx.signals.ack(a.id)
    assert [s.id for s in ctx.signals.list()] == [a.id, b.id, c.id]
    assert [s.id for s in ctx.signals.list(to="polecat/toast")] == [a.id, b.id]
    assert [s.id for s in ctx.signals.list(to="polecat/toast", unread=True)] == [b.id]
    assert [s.id for s in ctx.signals.list(kind="MERGE_READY")] == [c.id]
