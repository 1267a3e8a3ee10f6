"""Commitments in the store, on SQLite and PostgreSQL (the `ctx` fixture of this directory
runs each test once per backend): dedupe, cap, expiry, transitions, events."""

from __future__ import annotations

import pytest

from bosun.base.clock import FakeClock
from bosun.base.errors import IllegalTransition, InvalidInput, NotFound
from bosun.core.commitments import Commitments, CommitmentStatus, external_key
from bosun.core.context import Context

WHO = "polecat/toast"
LIMITS = {"due_after": 600.0, "expiry": 6 * 3600.0, "max_open": 5}


@pytest.fixture(autouse=True)
def identities(ctx: Context) -> None:
    ctx.identities.create("polecat", "toast")
    ctx.identities.create("polecat", "nux")


def record(
    ctx: Context,
    verb: str = "push",
    claim: str = "Pushing it now.",
    topic: str = "bo-1",
    who: str = WHO,
):  # type: ignore[no-untyped-def]
    with ctx.store.transaction() as tx:
        return Commitments(ctx).record_in(tx, who, topic, verb, claim, "participle", **LIMITS)


def kinds(ctx: Context) -> list[str]:
    return [e.kind for e in ctx.events.since(0, kind="commitment.")]


def test_a_claim_restated_three_times_is_one_commitment_updated(
    ctx: Context, clock: FakeClock
) -> None:
    first = record(ctx)
    clock.advance(30)
    record(ctx, claim="I'll push it.")
    clock.advance(30)
    third = record(ctx, claim="Pushing it now, really.")
    assert (first.action, third.action) == ("opened", "updated")
    assert first.commitment is not None and third.commitment is not None
    assert third.commitment.id == first.commitment.id
    assert third.commitment.claims == 3
    assert third.commitment.claim == "Pushing it now, really."
    assert third.commitment.opened_at == first.commitment.opened_at
    assert third.commitment.due_at == first.commitment.due_at  # restating buys no time
    assert third.commitment.last_claimed_at == first.commitment.opened_at + 60
    assert len(Commitments(ctx).list(WHO)) == 1
    assert kinds(ctx) == ["commitment.opened", "commitment.updated", "commitment.updated"]


def test_the_key_is_identity_topic_and_verb(ctx: Context) -> None:
    a = record(ctx).commitment
    b = record(ctx, verb="restart").commitment
    c = record(ctx, topic="bo-2").commitment
    d = record(ctx, who="polecat/nux").commitment
    assert a and b and c and d
    assert len({a.id, b.id, c.id, d.id}) == 4
    assert a.external_key == external_key(WHO, "bo-1", "push")
    assert external_key(WHO, "bo-1", "push") == external_key(WHO, "bo-1", "push")
    assert external_key(WHO, "bo-1", "push") != external_key(WHO, "bo-1push", "")


def test_the_sixth_open_commitment_per_identity_and_topic_is_refused(ctx: Context) -> None:
    verbs = ["push", "restart", "deploy", "merge", "rebase"]
    for verb in verbs:
        assert record(ctx, verb=verb).action == "opened"
    capped = record(ctx, verb="revert")
    assert (capped.action, capped.commitment, capped.open_count) == ("capped", None, 5)
    assert len(Commitments(ctx).list(WHO, status="open")) == 5
    assert "commitment.capped" in kinds(ctx)
    # restating one of the five still works, and another topic has its own cap
    assert record(ctx, verb="push").action == "updated"
    assert record(ctx, verb="revert", topic="bo-2").action == "opened"


def test_an_open_commitment_expires_and_the_same_claim_then_opens_a_fresh_one(
    ctx: Context, clock: FakeClock
) -> None:
    first = record(ctx).commitment
    assert first is not None
    clock.advance(6 * 3600 - 1)
    with ctx.store.transaction() as tx:
        assert Commitments(ctx).expire_due_in(tx) == []
    clock.advance(1)
    with ctx.store.transaction() as tx:
        expired = Commitments(ctx).expire_due_in(tx)
    assert [c.id for c in expired] == [first.id]
    assert expired[0].status is CommitmentStatus.EXPIRED
    assert expired[0].closed_at == first.opened_at + 6 * 3600
    again = record(ctx).commitment
    assert again is not None and again.id != first.id and again.claims == 1
    assert kinds(ctx) == ["commitment.opened", "commitment.expired", "commitment.opened"]


def test_expired_ones_do_not_count_toward_the_cap(ctx: Context, clock: FakeClock) -> None:
    for verb in ["push", "restart", "deploy", "merge", "rebase"]:
        record(ctx, verb=verb)
    clock.advance(6 * 3600)
    assert record(ctx, verb="revert").action == "opened"  # the five expired on the way in
    assert len(Commitments(ctx).list(WHO, status="expired")) == 5


def test_final_statuses_refuse_every_transition(ctx: Context) -> None:
    made = record(ctx).commitment
    assert made is not None
    service = Commitments(ctx)
    withdrawn = service.withdraw(made.id, "not needed after all")
    assert (withdrawn.status, withdrawn.reason) == (
        CommitmentStatus.WITHDRAWN,
        "not needed after all",
    )
    for status in (
        CommitmentStatus.DELIVERED,
        CommitmentStatus.VIOLATED,
        CommitmentStatus.EXPIRED,
        CommitmentStatus.WITHDRAWN,
    ):
        with pytest.raises(IllegalTransition), ctx.store.transaction() as tx:
            service.close_in(tx, made.id, status, "again")
    assert service.get(made.id).status is CommitmentStatus.WITHDRAWN
    assert kinds(ctx) == ["commitment.opened", "commitment.withdrawn"]


def test_a_withdrawal_needs_a_reason_and_an_existing_commitment(ctx: Context) -> None:
    made = record(ctx).commitment
    assert made is not None
    for why in (None, "", "   "):
        with pytest.raises(InvalidInput, match="needs a reason"):
            Commitments(ctx).withdraw(made.id, why)
    with pytest.raises(NotFound):
        Commitments(ctx).withdraw("cm-nope", "because")
    assert Commitments(ctx).get(made.id).status is CommitmentStatus.OPEN


def test_bad_input_writes_nothing(ctx: Context) -> None:
    with pytest.raises(NotFound):
        record(ctx, who="polecat/ghost")
    with pytest.raises(InvalidInput):
        record(ctx, topic="  ")
    with pytest.raises(InvalidInput):
        record(ctx, topic="x" * 201)
    with pytest.raises(InvalidInput):
        record(ctx, topic="bad\ntopic")
    assert Commitments(ctx).list() == []
    assert kinds(ctx) == []


def test_the_change_and_its_event_roll_back_together(ctx: Context) -> None:
    with pytest.raises(RuntimeError), ctx.store.transaction() as tx:
        Commitments(ctx).record_in(
            tx, WHO, "bo-1", "push", "Pushing it now.", "participle", **LIMITS
        )
        raise RuntimeError("boom")
    assert Commitments(ctx).list() == []
    assert kinds(ctx) == []


def test_nudge_is_recorded_once(ctx: Context) -> None:
    made = record(ctx).commitment
    assert made is not None
    with ctx.store.transaction() as tx:
        first = Commitments(ctx).mark_nudged_in(tx, made.id, "You said …")
        second = Commitments(ctx).mark_nudged_in(tx, made.id, "You said …")
    assert first is not None and first.nudged_at is not None
    assert second is None
    assert kinds(ctx) == ["commitment.opened", "commitment.nudged"]


def test_list_filters_and_json(ctx: Context, clock: FakeClock) -> None:
    a = record(ctx).commitment
    clock.advance(1)
    record(ctx, verb="deploy", who="polecat/nux")
    assert a is not None
    assert [c.verb for c in Commitments(ctx).list()] == ["deploy", "push"]  # newest first
    assert [c.id for c in Commitments(ctx).list(WHO)] == [a.id]
    assert Commitments(ctx).list(status="delivered") == []
    with pytest.raises(InvalidInput):
        Commitments(ctx).list(status="pending")
    data = a.to_json(clock.now())
    assert data["identity"] == WHO and data["status"] == "open" and data["nudged"] is False
    assert data["overdue_s"] == 0.0
