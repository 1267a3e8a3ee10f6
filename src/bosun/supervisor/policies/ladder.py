"""The recovery ladder: which strategy to try next, and whether an attempt worked.

A catalog maps each recovery condition to an ordered list of strategies (repeats allowed:
`seance_restart, seance_restart, escalate`). The rung is the number of attempts that failed
in the current *episode* — the identity's attempts for that condition since its last
verified success. An attempt counts as a success only after `verify` saw progress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bosun.base.errors import IllegalTransition
from bosun.supervisor.policies.detect import RECOVERY_CONDITIONS, Condition, Observations


class Strategy(StrEnum):
    NUDGE = "nudge"  # type a role-aware nudge into the session
    SEANCE_RESTART = "seance_restart"  # kill + respawn with identity, hook, predecessor context
    CONTEXT_CYCLE = "context_cycle"  # checkpoint, HANDOFF, fresh session
    ESCALATE = "escalate"  # ESCALATION signal + event; a person decides


RESTARTING = frozenset({Strategy.SEANCE_RESTART, Strategy.CONTEXT_CYCLE})


class Outcome(StrEnum):
    PENDING = "pending"  # started, not yet verified
    SUCCESS = "success"
    FAILURE = "failure"
    ESCALATED = "escalated"


OUTCOME_TRANSITIONS: dict[Outcome, frozenset[Outcome]] = {
    Outcome.PENDING: frozenset({Outcome.SUCCESS, Outcome.FAILURE, Outcome.ESCALATED}),
    Outcome.SUCCESS: frozenset(),
    Outcome.FAILURE: frozenset(),
    Outcome.ESCALATED: frozenset(),
}

S = Strategy
DEFAULT_CATALOG: dict[Condition, tuple[Strategy, ...]] = {
    Condition.CRASHED: (S.SEANCE_RESTART, S.SEANCE_RESTART, S.SEANCE_RESTART, S.ESCALATE),
    Condition.STALE: (S.NUDGE, S.SEANCE_RESTART, S.CONTEXT_CYCLE, S.ESCALATE),
    Condition.STALLED: (S.NUDGE, S.SEANCE_RESTART, S.CONTEXT_CYCLE, S.ESCALATE),
    Condition.WAITING: (S.NUDGE, S.ESCALATE),
    Condition.CONTEXT_EXHAUSTED: (S.CONTEXT_CYCLE, S.SEANCE_RESTART, S.ESCALATE),
    Condition.HANDOFF_REQUESTED: (S.SEANCE_RESTART, S.SEANCE_RESTART, S.ESCALATE),
}

# Crew identities are human-directed: bosun restarts them when they die, nothing more.
CREW_CONDITIONS = frozenset({Condition.CRASHED, Condition.HANDOFF_REQUESTED})


@dataclass(frozen=True)
class LadderConfig:
    catalog: Mapping[Condition, tuple[Strategy, ...]] = field(
        default_factory=lambda: dict(DEFAULT_CATALOG)
    )
    verify_within: float = 120.0
    escalation_hold: float = 1800.0  # after an escalation, wait this long before retrying

    def strategies(self, condition: Condition) -> tuple[Strategy, ...]:
        return tuple(self.catalog.get(condition, (Strategy.ESCALATE,)))


@dataclass(frozen=True)
class Attempt:
    """One rung tried for one identity: a row of `recovery_attempts`."""

    identity: str
    condition: Condition
    strategy: Strategy
    started_at: float
    outcome: Outcome = Outcome.PENDING
    decided_at: float | None = None
    rung: int = 0
    id: int | None = None
    detected_at: float | None = None

    def settle(self, outcome: Outcome, at: float) -> Attempt:
        if outcome not in OUTCOME_TRANSITIONS[self.outcome]:
            raise IllegalTransition(
                f"recovery attempt {self.id} cannot go from {self.outcome} to {outcome}",
                "only a pending attempt is settled, once",
            )
        return Attempt(
            self.identity,
            self.condition,
            self.strategy,
            self.started_at,
            outcome,
            at,
            self.rung,
            self.id,
            self.detected_at,
        )


class Step(StrEnum):
    ACT = "act"  # run `strategy` now
    WAIT = "wait"  # an attempt is awaiting verification
    HOLD = "hold"  # escalated; a person has it
    EXEMPT = "exempt"  # nothing to do for this identity and condition


@dataclass(frozen=True)
class LadderDecision:
    step: Step
    reason: str
    strategy: Strategy | None = None
    rung: int = 0
    until: float | None = None


def episode(
    history: Sequence[Attempt], condition: Condition, config: LadderConfig
) -> list[Attempt]:
    """The attempts for `condition` since its last verified success (or expired escalation)."""
    current: list[Attempt] = []
    for attempt in sorted(
        (a for a in history if a.condition == condition), key=lambda a: a.started_at
    ):
        if current and current[-1].outcome == Outcome.ESCALATED:
            held_until = (current[-1].decided_at or current[-1].started_at) + config.escalation_hold
            if attempt.started_at >= held_until:
                current = []
        current.append(attempt)
        if attempt.outcome == Outcome.SUCCESS:
            current = []
    return current


def next_strategy(
    history: Sequence[Attempt],
    condition: Condition,
    now: float,
    config: LadderConfig,
    *,
    crew: bool = False,
) -> LadderDecision:
    """The next rung of the ladder for an identity showing `condition` at `now`."""
    if condition not in RECOVERY_CONDITIONS:
        return LadderDecision(Step.EXEMPT, f"{condition} is not a recovery condition")
    if crew and condition not in CREW_CONDITIONS:
        return LadderDecision(Step.EXEMPT, f"crew identities are not recovered from {condition}")
    ladder = tuple(
        s for s in config.strategies(condition) if not (crew and s == Strategy.NUDGE)
    ) or (Strategy.ESCALATE,)
    attempts = episode(history, condition, config)
    if attempts:
        last = attempts[-1]
        if last.outcome == Outcome.PENDING:
            return LadderDecision(
                Step.WAIT,
                f"{last.strategy} (rung {last.rung}) awaits verification",
                last.strategy,
                last.rung,
                last.started_at + config.verify_within,
            )
        if last.outcome == Outcome.ESCALATED:
            until = (last.decided_at or last.started_at) + config.escalation_hold
            if now < until:
                return LadderDecision(
                    Step.HOLD,
                    "escalated; waiting for an operator",
                    Strategy.ESCALATE,
                    last.rung,
                    until,
                )
            attempts = []
    rung = sum(1 for a in attempts if a.outcome == Outcome.FAILURE)
    if rung >= len(ladder):
        return LadderDecision(
            Step.ACT,
            f"all {len(ladder)} strategies for {condition} failed",
            Strategy.ESCALATE,
            rung,
        )
    strategy = ladder[rung]
    reason = f"{condition}: rung {rung + 1} of {len(ladder)}" + (
        f" after {rung} failed attempt(s)" if rung else ""
    )
    return LadderDecision(Step.ACT, reason, strategy, rung)


def verify(
    attempt: Attempt, observations: Observations, now: float, verify_within: float
) -> Outcome:
    """Did the session make real progress after `attempt` started?

    SUCCESS on real progress (`Observations.progress_since`: a phase change, a checkpoint,
    the screen moving between two looks) after the attempt started — for a rung that starts
    a new session, after that session started (its start-up and the supervisor's own
    checkpoint of a context cycle are not progress); FAILURE when the session died since,
    or when `verify_within` passed without progress; PENDING otherwise. An escalation is
    settled as ESCALATED at once.
    """
    if attempt.outcome != Outcome.PENDING:
        return attempt.outcome
    if attempt.strategy == Strategy.ESCALATE:
        return Outcome.ESCALATED
    since = attempt.started_at
    if attempt.strategy in RESTARTING and observations.session_started_at is not None:
        since = max(since, observations.session_started_at)
    if observations.progress_since(since):
        return Outcome.SUCCESS
    if died_since(attempt, observations) or now - attempt.started_at >= verify_within:
        return Outcome.FAILURE
    return Outcome.PENDING


def died_since(attempt: Attempt, observations: Observations) -> bool:
    """The session was seen dead, having exited after the attempt started."""
    return (
        observations.alive is False
        and observations.exited_at is not None
        and observations.exited_at >= attempt.started_at
    )


def verdict_detail(attempt: Attempt, observations: Observations, outcome: Outcome) -> str:
    """The one-line reason recorded with a settled attempt."""
    if outcome == Outcome.SUCCESS:
        return "progress seen"
    if outcome == Outcome.ESCALATED:
        return "escalated"
    if died_since(attempt, observations):
        start = observations.session_started_at
        lived = (
            f" {max(0.0, (observations.exited_at or 0.0) - start):.1f}s after it started"
            if start is not None and start >= attempt.started_at
            else ""
        )
        code = observations.exit_code
        how = f" (exit code {code})" if code is not None else ""
        return f"session died{lived}{how}"
    return "no progress within verify_within"
