"""The follow-through policy: pure, with a fake clock; evidence comes from plain callables."""

from __future__ import annotations

import dataclasses

import pytest

from bosun.base.clock import FakeClock
from bosun.core.commitments import Commitment, CommitmentStatus
from bosun.sentinel.classifier import VERBS
from bosun.sentinel.followthrough import (
    EVIDENCE,
    Action,
    Evidence,
    EvidenceKind,
    EvidenceUnavailable,
    Probe,
    command_matches,
    decide,
    needs_evidence,
    nudge_text,
    probe,
)

WINDOW = 600.0


def commitment(clock: FakeClock, verb: str = "push", **changes: object) -> Commitment:
    now = clock.now()
    made = Commitment(
        id="cm-1a2b3c4d",
        role="polecat",
        name="toast",
        topic="bo-1",
        verb=verb,
        claim="Pushing it now.",
        form="participle",
        external_key="k",
        status=CommitmentStatus.OPEN,
        claims=1,
        opened_at=now,
        last_claimed_at=now,
        due_at=now + 600,
        expires_at=now + 21600,
        updated_at=now,
    )
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


NOTHING = Probe(None, (EvidenceKind.PUSH, EvidenceKind.COMMIT, EvidenceKind.COMMAND))


def test_every_verb_has_one_evidence_rule() -> None:
    assert set(EVIDENCE) == VERBS
    for rule in EVIDENCE.values():
        assert rule.kinds and len(set(rule.kinds)) == len(rule.kinds)
        assert (EvidenceKind.COMMAND in rule.kinds) == (rule.command is not None)


@pytest.mark.parametrize(
    ("verb", "command", "counts"),
    [
        ("push", "git push origin HEAD", True),
        ("push", "git status", False),
        ("commit", "git commit -am wip", True),
        ("merge", "gh pr merge 12 --squash", True),
        ("rebase", "git pull --rebase", True),
        ("revert", "git revert HEAD", True),
        ("restart", "systemctl restart api", True),
        ("relaunch", "bosun agent restart toast", True),
        ("deploy", "make deploy-staging", True),
        ("redeploy", "./scripts/deploy.sh", True),
        ("release", "git tag v1.2", True),
        ("rerun", "pytest -x", True),
        ("fix", "vim parser.py", False),
    ],
)
def test_recorded_commands_count_only_for_their_verb(verb: str, command: str, counts: bool) -> None:
    assert command_matches(verb, command) is counts


def test_nothing_happens_before_the_due_time() -> None:
    clock = FakeClock()
    c = commitment(clock)
    clock.advance(599)
    assert not needs_evidence(c, clock.now())
    assert decide(c, None, clock.now(), WINDOW).action is Action.WAIT


def test_due_without_evidence_is_nudged_once_quoting_the_claim() -> None:
    clock = FakeClock()
    c = commitment(clock)
    clock.advance(600)
    assert needs_evidence(c, clock.now())
    decision = decide(c, NOTHING, clock.now(), WINDOW)
    assert decision.action is Action.NUDGE
    assert decision.text is not None
    assert decision.text.startswith("You said: 'Pushing it now.' \u2014 it has not happened yet")
    assert "bosun commitments withdraw cm-1a2b3c4d --why" in decision.text
    nudged = dataclasses.replace(c, nudged_at=clock.now())
    clock.advance(WINDOW - 1)
    assert decide(nudged, NOTHING, clock.now(), WINDOW).action is Action.WAIT
    clock.advance(1)
    violated = decide(nudged, NOTHING, clock.now(), WINDOW)
    assert (violated.action, violated.reason) == (Action.VIOLATE, "no_evidence")


def test_evidence_delivers_at_any_point_after_due_even_past_expiry() -> None:
    clock = FakeClock()
    c = commitment(clock)
    found = Probe(Evidence(EvidenceKind.COMMIT, clock.now() + 5, {"sha": "abc"}))
    for step in (600, WINDOW, 21600):
        clock.advance(step)
        decision = decide(dataclasses.replace(c, nudged_at=c.due_at), found, clock.now(), WINDOW)
        assert decision.action is Action.DELIVER
        assert decision.evidence is not None and decision.evidence.detail["sha"] == "abc"


def test_past_expiry_without_evidence_expires_rather_than_violates() -> None:
    clock = FakeClock()
    c = commitment(clock)
    clock.advance(21600)
    assert decide(c, NOTHING, clock.now(), WINDOW).action is Action.EXPIRE


def test_unverifiable_commitments_are_nudged_but_never_violated() -> None:
    clock = FakeClock()
    c = commitment(clock)
    blind = Probe(None, (), ("commit: polecat/toast has no worktree",))
    clock.advance(600)
    assert decide(c, blind, clock.now(), WINDOW).action is Action.NUDGE
    nudged = dataclasses.replace(c, nudged_at=clock.now())
    clock.advance(WINDOW * 5)
    decision = decide(nudged, blind, clock.now(), WINDOW)
    assert decision.action is Action.WAIT and "no worktree" in decision.reason
    clock.advance(21600)
    assert decide(nudged, blind, clock.now(), WINDOW).action is Action.EXPIRE


@pytest.mark.parametrize("status", [s for s in CommitmentStatus if s is not CommitmentStatus.OPEN])
def test_closed_commitments_are_left_alone(status: CommitmentStatus) -> None:
    clock = FakeClock()
    c = commitment(clock, status=status)
    clock.advance(100_000)
    assert not needs_evidence(c, clock.now())
    assert decide(c, NOTHING, clock.now(), WINDOW).action is Action.WAIT


def test_probe_asks_the_verbs_gatherers_in_order_and_stops_at_the_first_find() -> None:
    clock = FakeClock()
    asked: list[str] = []

    def none(kind: str):  # type: ignore[no-untyped-def]
        return lambda c: asked.append(kind)

    def found(c: Commitment) -> Evidence:
        asked.append("commit")
        return Evidence(EvidenceKind.COMMIT, c.opened_at + 1, {"sha": "f00"})

    gatherers = {
        EvidenceKind.PUSH: none("push"),
        EvidenceKind.COMMIT: found,
        EvidenceKind.COMMAND: none("command"),
        EvidenceKind.RESTART: none("restart"),
    }
    result = probe(commitment(clock, verb="push"), gatherers)
    assert asked == ["push", "commit"]
    assert result.found is not None and result.found.detail == {"sha": "f00"}
    assert result.checked == (EvidenceKind.PUSH, EvidenceKind.COMMIT)
    asked.clear()
    assert probe(commitment(clock, verb="restart"), gatherers).found is None
    assert asked == ["restart", "command"]


def test_probe_records_what_it_could_not_look_at() -> None:
    clock = FakeClock()

    def blind(c: Commitment) -> Evidence | None:
        raise EvidenceUnavailable("polecat/toast has no worktree")

    result = probe(commitment(clock, verb="commit"), {EvidenceKind.COMMIT: blind})
    assert result.found is None
    assert result.unavailable == ("commit: polecat/toast has no worktree", "command: no gatherer")


def test_nudge_text_names_what_bosun_looks_for() -> None:
    text = nudge_text(commitment(FakeClock(), verb="restart", claim="I'll restart the server."))
    assert text.startswith("You said: 'I'll restart the server.'")
    assert "a new session of your identity" in text
