"""Loop safeguards for a (thread, participant) pair.

- **No progress**: after `max_idle_turns` triggered turns in which the target made no progress
  (no new commit, no hook change, no new message from it), the pair is blocked.
- **Same finding**: after `max_same_findings` consecutive cycles in which the target's new
  message normalises to the same text, the pair is blocked.

Progress is a fingerprint the worker computes (latest message of the target, hook update
time, worktree head); any change of it resets the turn count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class LoopConfig:
    max_idle_turns: int = 20
    max_same_findings: int = 3


@dataclass(frozen=True)
class PairState:
    turns: int = 0  # triggered turns since the last progress
    fingerprint: str = ""
    finding: str = ""  # normalised text of the target's last message
    finding_seq: int = 0
    same_findings: int = 0
    blocked: bool = False
    blocked_reason: str | None = None


@dataclass(frozen=True)
class LoopAssessment:
    state: PairState
    block: str | None  # no_progress | same_finding | None
    detail: str = ""


_HEX = re.compile(r"\b[0-9a-f]{7,64}\b")
_NUM = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def normalise_finding(text: str) -> str:
    """Case, whitespace, numbers and hashes do not make two findings different."""
    folded = text.casefold()
    folded = _HEX.sub("#", folded)
    folded = _NUM.sub("#", folded)
    return _SPACE.sub(" ", folded).strip(" .!?:;,-")


def assess_loop(
    state: PairState,
    *,
    fingerprint: str,
    latest_seq: int | None,
    latest_text: str | None,
    config: LoopConfig,
) -> LoopAssessment:
    """Before a triggered turn: update the pair's state and say whether to block it.

    `latest_seq`/`latest_text`: the target's latest message in the thread (None: none yet).
    """
    current = state
    if fingerprint != current.fingerprint:
        current = replace(current, turns=0, fingerprint=fingerprint)
    if latest_seq is not None and latest_text is not None and latest_seq > current.finding_seq:
        norm = normalise_finding(latest_text)
        same = current.same_findings + 1 if norm == current.finding else 1
        current = replace(current, finding=norm, finding_seq=latest_seq, same_findings=same)
    if current.same_findings >= config.max_same_findings:
        detail = (
            f"{current.same_findings} cycles produced the same finding: {current.finding[:120]!r}"
        )
        return LoopAssessment(
            replace(current, blocked=True, blocked_reason="same_finding"), "same_finding", detail
        )
    if current.turns >= config.max_idle_turns:
        detail = f"{current.turns} triggered turns without progress"
        return LoopAssessment(
            replace(current, blocked=True, blocked_reason="no_progress"), "no_progress", detail
        )
    return LoopAssessment(current, None)


def record_turn(state: PairState) -> PairState:
    """After a trigger was delivered: one more turn without (yet) seen progress."""
    return replace(state, turns=state.turns + 1)


def unblock(state: PairState) -> PairState:
    """An explicit unblock starts the pair afresh (counts cleared, fingerprint kept)."""
    return replace(state, turns=0, same_findings=0, blocked=False, blocked_reason=None)
