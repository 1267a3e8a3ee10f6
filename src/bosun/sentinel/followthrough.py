"""Follow-through policy: given a commitment, the evidence found and `now`, what happens next.

Pure. Evidence is gathered by injected callables (see `bosun.sentinel.evidence` for the real
git and event-log gatherers), so this module decides without touching git, tmux or the store.

The rules, in order (first match wins):

1. not open                                   → wait (nothing to do)
2. evidence of the action found               → deliver, with the evidence recorded
3. past its expiry                            → expire
4. not yet due                                → wait
5. due and never nudged                       → nudge once, quoting the agent's own claim
6. nudged, inside the compliance window       → wait
7. some evidence could not be looked at       → wait (never violate without proof; it expires)
8. otherwise                                  → violate, and escalate
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bosun.base.clock import iso
from bosun.core.commitments import Commitment, CommitmentStatus


class EvidenceKind(StrEnum):
    COMMIT = "commit"  # a new commit on the identity's branch since the claim
    PUSH = "push"  # a remote-tracking ref of that branch moved since the claim
    RESTART = "restart"  # a new incarnation of the identity (event identity.incarnation)
    HOOK_CHANGE = "hook_change"  # its hook changed phase or was released/pinned (hook.*)
    COMMAND = "command"  # the runtime recorded a matching command (event runtime.command)


@dataclass(frozen=True)
class EvidenceRule:
    kinds: tuple[EvidenceKind, ...]  # looked at in this order; the first found wins
    command: str | None = None  # regex a recorded command must match (COMMAND evidence)


K = EvidenceKind
_GIT = (K.COMMIT, K.COMMAND)
_RESTART = r"\bre-?(?:start|launch)\b|\bbosun\s+agent\s+restart\b"

# THE table: what counts as evidence that a claimed action happened, per canonical verb.
EVIDENCE: Mapping[str, EvidenceRule] = {
    "push": EvidenceRule((K.PUSH, K.COMMIT, K.COMMAND), r"\bgit\s+push\b"),
    "commit": EvidenceRule(_GIT, r"\bgit\s+commit\b"),
    "merge": EvidenceRule(_GIT, r"\bgit\s+merge\b|\bgh\s+pr\s+merge\b"),
    "rebase": EvidenceRule(_GIT, r"\bgit\s+(?:pull\s+--rebase|rebase)\b"),
    "revert": EvidenceRule(_GIT, r"\bgit\s+revert\b"),
    "fix": EvidenceRule((K.COMMIT, K.HOOK_CHANGE)),
    "restart": EvidenceRule((K.RESTART, K.HOOK_CHANGE, K.COMMAND), _RESTART),
    "relaunch": EvidenceRule((K.RESTART, K.HOOK_CHANGE, K.COMMAND), _RESTART),
    "deploy": EvidenceRule((K.COMMAND, K.HOOK_CHANGE, K.RESTART), r"\bdeploy"),
    "redeploy": EvidenceRule((K.COMMAND, K.HOOK_CHANGE, K.RESTART), r"\bdeploy"),
    "release": EvidenceRule((K.HOOK_CHANGE, K.COMMAND), r"\brelease\b|\bgit\s+tag\b"),
    "rerun": EvidenceRule((K.COMMAND, K.HOOK_CHANGE), r"\S"),
}

DESCRIBE = {
    K.COMMIT: "a new commit on your branch",
    K.PUSH: "a push of your branch",
    K.RESTART: "a new session of your identity",
    K.HOOK_CHANGE: "a change of your hook's phase",
    K.COMMAND: "a matching command recorded by your runtime",
}


def command_matches(verb: str, command: str) -> bool:
    pattern = EVIDENCE[verb].command
    return pattern is not None and re.search(pattern, command, re.IGNORECASE) is not None


@dataclass(frozen=True)
class Evidence:
    kind: EvidenceKind
    at: float
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "at": iso(self.at), **dict(self.detail)}


class EvidenceUnavailable(Exception):
    """A gatherer could not look (no worktree, git failed); never a reason to violate."""


Gatherer = Callable[[Commitment], Evidence | None]


@dataclass(frozen=True)
class Probe:
    """What looking for evidence found: the evidence, and what could not be looked at."""

    found: Evidence | None = None
    checked: tuple[EvidenceKind, ...] = ()
    unavailable: tuple[str, ...] = ()


def probe(commitment: Commitment, gatherers: Mapping[EvidenceKind, Gatherer]) -> Probe:
    """Ask each gatherer the verb's rule names, in order, until one finds evidence."""
    checked: list[EvidenceKind] = []
    unavailable: list[str] = []
    for kind in EVIDENCE[commitment.verb].kinds:
        gatherer = gatherers.get(kind)
        if gatherer is None:
            unavailable.append(f"{kind}: no gatherer")
            continue
        try:
            found = gatherer(commitment)
        except EvidenceUnavailable as exc:
            unavailable.append(f"{kind}: {exc}")
            continue
        checked.append(kind)
        if found is not None:
            return Probe(found, tuple(checked), tuple(unavailable))
    return Probe(None, tuple(checked), tuple(unavailable))


class Action(StrEnum):
    WAIT = "wait"
    DELIVER = "deliver"
    NUDGE = "nudge"
    VIOLATE = "violate"
    EXPIRE = "expire"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    evidence: Evidence | None = None
    text: str | None = None  # the nudge, for NUDGE


def needs_evidence(commitment: Commitment, now: float) -> bool:
    """Evidence is looked for only once the commitment is due (or past its expiry)."""
    return commitment.status is CommitmentStatus.OPEN and now >= commitment.due_at


def decide(
    commitment: Commitment, found: Probe | None, now: float, compliance_window: float
) -> Decision:
    c = commitment
    if c.status is not CommitmentStatus.OPEN:
        return Decision(Action.WAIT, f"already {c.status}")
    if found is not None and found.found is not None:
        return Decision(Action.DELIVER, f"evidence: {found.found.kind}", found.found)
    if now >= c.expires_at:
        return Decision(Action.EXPIRE, "expired")
    if now < c.due_at:
        return Decision(Action.WAIT, "not due yet")
    if c.nudged_at is None:
        return Decision(Action.NUDGE, "due without evidence", text=nudge_text(c))
    if now < c.nudged_at + compliance_window:
        return Decision(Action.WAIT, "nudged; inside the compliance window")
    if found is None or found.unavailable:
        missing = "; ".join(found.unavailable) if found else "evidence not gathered"
        return Decision(Action.WAIT, f"cannot verify ({missing}); it will expire")
    return Decision(Action.VIOLATE, "no_evidence")


def nudge_text(commitment: Commitment) -> str:
    """The one nudge: the agent's own words, what bosun looks for, and how to withdraw."""
    looks_for = " or ".join(DESCRIBE[k] for k in EVIDENCE[commitment.verb].kinds)
    return (
        f"You said: '{commitment.claim}' \u2014 it has not happened yet; do it or withdraw it "
        f"with `bosun commitments withdraw {commitment.id} --why \u2026` "
        f"(bosun looks for {looks_for})."
    )
