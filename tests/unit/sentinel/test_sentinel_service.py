"""The sentinel service on an in-memory store with a fake clock and injected evidence."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bosun.base.clock import FakeClock
from bosun.base.config import default_config
from bosun.base.errors import ConfigError, InvalidName, NotFound
from bosun.core.commitments import Commitment, CommitmentStatus
from bosun.core.context import Context, memory_context
from bosun.sentinel import SENTINEL_GUARD, sentinel_enabled
from bosun.sentinel.followthrough import Action, Evidence, EvidenceKind, EvidenceUnavailable
from bosun.sentinel.service import Sentinel, observe, observe_safely
from bosun.sentinel.settings import SentinelSettings

WHO = "polecat/toast"


class Evidences:
    """Evidence the test decides on: a found commit per identity, or a blind gatherer."""

    def __init__(self) -> None:
        self.commits: dict[str, str] = {}
        self.blind: set[str] = set()

    def commit(self, c: Commitment) -> Evidence | None:
        if c.identity in self.blind:
            raise EvidenceUnavailable(f"{c.identity} has no worktree")
        sha = self.commits.get(c.identity)
        return Evidence(EvidenceKind.COMMIT, c.opened_at + 1, {"sha": sha}) if sha else None

    def gatherers(self):  # type: ignore[no-untyped-def]
        none = lambda c: None  # noqa: E731
        return {
            EvidenceKind.COMMIT: self.commit,
            EvidenceKind.PUSH: none,
            EvidenceKind.COMMAND: none,
            EvidenceKind.RESTART: none,
            EvidenceKind.HOOK_CHANGE: none,
        }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ctx(clock: FakeClock) -> Iterator[Context]:
    context = memory_context(clock, default_config().with_overrides(sentinel__enabled=True))
    context.identities.create("polecat", "toast")
    context.identities.create("polecat", "nux")
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def evidence() -> Evidences:
    return Evidences()


@pytest.fixture
def sentinel(ctx: Context, evidence: Evidences) -> Sentinel:
    return Sentinel(ctx, evidence.gatherers())


def test_off_by_default_records_nothing_and_says_so(clock: FakeClock) -> None:
    with memory_context(clock) as off:
        off.identities.create("polecat", "toast")
        assert not sentinel_enabled(off.config) and SENTINEL_GUARD == "sentinel"
        result = observe(off, WHO, None, "Pushing it now.")
        assert (result.enabled, result.action, result.commitment) == (False, "disabled", None)
        assert result.to_json()["enabled"] is False
        assert off.events.since(0, kind="commitment.") == []
        assert Sentinel(off).check().to_json() == {
            "enabled": False,
            "open_seen": 0,
            "outcomes": [],
            "nudges": [],
        }


def test_a_claim_opens_a_commitment_on_the_hook_topic(ctx: Context, sentinel: Sentinel) -> None:
    item = ctx.work.create("Fix the parser")
    ctx.hooks.pin("polecat", "toast", item.id)
    result = sentinel.observe(WHO, "Tests pass. Pushing it now.")
    assert result.action == "opened" and result.commitment is not None
    assert result.topic == item.id == result.commitment.topic
    assert (result.commitment.verb, result.commitment.claim) == ("push", "Pushing it now.")
    assert result.commitment.due_at == result.commitment.opened_at + 600
    assert result.commitment.expires_at == result.commitment.opened_at + 6 * 3600
    assert sentinel.observe("polecat/nux", "I'll restart it.").topic == "general"


def test_restating_three_times_updates_one_commitment(sentinel: Sentinel, clock: FakeClock) -> None:
    actions = []
    for text in ("Pushing it now.", "I'll push it.", "Done. Pushing it now."):
        actions.append(sentinel.observe(WHO, text, "bo-1").action)
        clock.advance(10)
    assert actions == ["opened", "updated", "updated"]
    [only] = sentinel.commitments.list(WHO)
    assert only.claims == 3


def test_text_without_a_claim_records_nothing(ctx: Context, sentinel: Sentinel) -> None:
    for text in ("I'll take a look.", "", None, b"\xff\xfe", "Did you restart it?"):
        result = sentinel.observe(WHO, text, "bo-1")
        assert (result.enabled, result.action) == (True, "no_claim")
    assert sentinel.commitments.list() == []


def test_the_sixth_claim_on_a_topic_is_capped(sentinel: Sentinel) -> None:
    for verb in ("push", "restart", "deploy", "merge", "rebase"):
        assert sentinel.observe(WHO, f"I'll {verb} it.", "bo-1").action == "opened"
    capped = sentinel.observe(WHO, "I'll revert it.", "bo-1")
    assert (capped.action, capped.open_count, capped.commitment) == ("capped", 5, None)
    assert capped.claim is not None and capped.claim.verb == "revert"


def test_unknown_or_malformed_identity_is_refused(sentinel: Sentinel) -> None:
    with pytest.raises(NotFound):
        sentinel.observe("polecat/ghost", "Pushing it now.")
    with pytest.raises(InvalidName):
        sentinel.observe("toast", "Pushing it now.")


def test_observe_safely_never_raises_and_logs(
    ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bosun.sentinel"):
        assert observe_safely(ctx, "polecat/ghost", None, "Pushing it now.") is None
    assert "polecat/ghost" in caplog.text and "NotFound" in caplog.text
    ctx.store.close()  # even a closed store does not escape into the hook
    assert observe_safely(ctx, WHO, None, "Pushing it now.") is None


def test_claim_without_action_is_nudged_once_then_violated_and_escalated(
    ctx: Context, sentinel: Sentinel, clock: FakeClock
) -> None:
    made = sentinel.observe(WHO, "Pushing it now.", "bo-1").commitment
    assert made is not None
    clock.advance(599)
    assert sentinel.check().outcomes == ()
    clock.advance(1)
    report = sentinel.check()
    assert [n.commitment_id for n in report.nudges] == [made.id]
    assert report.nudges[0].text.startswith("You said: 'Pushing it now.'")
    clock.advance(300)
    assert sentinel.check().nudges == ()  # exactly one nudge
    clock.advance(300)
    report = sentinel.check()
    assert [(o.action, o.reason) for o in report.outcomes] == [(Action.VIOLATE, "no_evidence")]
    final = sentinel.commitments.get(made.id)
    assert final.status is CommitmentStatus.VIOLATED
    [signal] = ctx.signals.list(WHO, kind="ESCALATION")
    assert signal.payload["commitment"] == made.id and signal.payload["reason"] == "no_evidence"
    kinds = [e.kind for e in ctx.events.since(0, kind="commitment.")]
    assert kinds == ["commitment.opened", "commitment.nudged", "commitment.violated"]
    assert sentinel.check().open_seen == 0


def test_evidence_delivers_with_the_evidence_recorded(
    sentinel: Sentinel, evidence: Evidences, clock: FakeClock
) -> None:
    made = sentinel.observe(WHO, "I'll commit the fix.", "bo-1").commitment
    assert made is not None
    evidence.commits[WHO] = "abc123"
    clock.advance(600)
    report = sentinel.check()
    assert report.nudges == ()
    assert report.outcomes[0].action is Action.DELIVER
    done = sentinel.commitments.get(made.id)
    assert done.status is CommitmentStatus.DELIVERED
    assert done.evidence["found"]["sha"] == "abc123"
    assert done.evidence["found"]["kind"] == "commit"


def test_unverifiable_is_nudged_never_violated_and_expires(
    ctx: Context, sentinel: Sentinel, evidence: Evidences, clock: FakeClock
) -> None:
    evidence.blind.add(WHO)
    made = sentinel.observe(WHO, "I'll commit it.", "bo-1").commitment
    assert made is not None
    clock.advance(600)
    assert len(sentinel.check().nudges) == 1
    clock.advance(3600)
    assert sentinel.check().outcomes == ()
    clock.advance(6 * 3600)
    assert [o.action for o in sentinel.check().outcomes] == [Action.EXPIRE]
    assert sentinel.commitments.get(made.id).status is CommitmentStatus.EXPIRED
    assert ctx.signals.list(WHO, kind="ESCALATION") == []


def test_session_lost_violates_what_was_open(ctx: Context, sentinel: Sentinel) -> None:
    a = sentinel.observe(WHO, "I'll push it.", "bo-1").commitment
    b = sentinel.observe(WHO, "I'll restart it.", "bo-2").commitment
    other = sentinel.observe("polecat/nux", "I'll push it.", "bo-1").commitment
    assert a and b and other
    lost = sentinel.session_lost(WHO, "tmux pane gone")
    assert {c.id for c in lost} == {a.id, b.id}
    assert all(c.status is CommitmentStatus.VIOLATED and c.reason == "session_lost" for c in lost)
    assert len(ctx.signals.list(WHO, kind="ESCALATION")) == 2
    assert sentinel.commitments.get(other.id).status is CommitmentStatus.OPEN
    assert sentinel.session_lost(WHO) == []


def test_settings_are_validated() -> None:
    bad = default_config().with_overrides(sentinel__due_after="7h")
    with pytest.raises(ConfigError, match="due_after"):
        SentinelSettings.from_config(bad)
    with pytest.raises(ConfigError):
        default_config().with_overrides(sentinel__max_open=0)
    s = SentinelSettings.from_config(default_config())
    assert (s.enabled, s.due_after, s.compliance_window, s.expiry, s.max_open) == (
        False,
        600.0,
        600.0,
        21600.0,
        5,
    )
