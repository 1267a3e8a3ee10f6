"""One recovery decision for the engine: the ladder's next rung, gated by restart limits.

The ladder says *what* to try; a rung that restarts the session (seance restart, context
cycle) must also pass the restart policy, which says *when* (backoff) or *not at all*
(quarantine + escalation).

The backoff is counted from recorded history, never from state kept in memory: from the
moment the rung became due — the condition's detection (its `_detected` event) or the
settling of the episode's last attempt, whichever is later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bosun.supervisor.policies.detect import Condition
from bosun.supervisor.policies.ladder import (
    RESTARTING,
    Attempt,
    LadderConfig,
    LadderDecision,
    Outcome,
    Step,
    Strategy,
    next_strategy,
)
from bosun.supervisor.policies.restart import (
    RestartAction,
    RestartDecision,
    RestartPolicy,
    RestartRecord,
)


@dataclass(frozen=True)
class RecoveryPlan:
    step: Step
    reason: str
    strategy: Strategy | None = None
    rung: int = 0
    not_before: float | None = None  # run the strategy at this time (restart backoff)
    quarantine: bool = False  # quarantine the identity and raise an ESCALATION
    ladder: LadderDecision | None = None
    restart: RestartDecision | None = None
    due_at: float | None = None  # when a restarting rung became due (the backoff's start)

    @property
    def backing_off(self) -> bool:
        """A restart that waits for its backoff (`not_before` is in the future)."""
        return self.restart is not None and not self.quarantine and self.restart.delay > 0


def due_since(
    attempts: Sequence[Attempt],
    condition: Condition,
    now: float,
    ladder: LadderConfig,
    detected_at: float | None = None,
) -> float:
    """When the current rung for `condition` became due, from recorded history: the later of
    the condition's detection and the settling of its last attempt (an escalation's hold
    ends later). Never after `now`."""
    moments = [] if detected_at is None else [detected_at]
    history = sorted((a for a in attempts if a.condition == condition), key=lambda a: a.started_at)
    if history and history[-1].outcome != Outcome.PENDING:
        last = history[-1]
        settled = last.decided_at if last.decided_at is not None else last.started_at
        if last.outcome == Outcome.ESCALATED:
            settled += ladder.escalation_hold
        moments.append(settled)
    return min(max(moments, default=now), now)


def plan_recovery(
    attempts: Sequence[Attempt],
    restarts: Sequence[RestartRecord],
    condition: Condition,
    now: float,
    ladder: LadderConfig,
    restart: RestartPolicy,
    *,
    crew: bool = False,
    detected_at: float | None = None,
    hook: str | None = None,
) -> RecoveryPlan:
    """`detected_at`: when the condition was last detected (its `_detected` event); `hook`:
    where the hook stands now (`restart.hook_key`), so restarts without progress count."""
    decision = next_strategy(attempts, condition, now, ladder, crew=crew)
    if decision.step != Step.ACT or decision.strategy not in RESTARTING:
        return RecoveryPlan(
            decision.step,
            decision.reason,
            decision.strategy,
            decision.rung,
            now if decision.step == Step.ACT else decision.until,
            ladder=decision,
        )
    gate = restart.decide(restarts, now, hook)
    if gate.action == RestartAction.QUARANTINE:
        return RecoveryPlan(
            Step.ACT,
            gate.reason,
            Strategy.ESCALATE,
            decision.rung,
            now,
            quarantine=True,
            ladder=decision,
            restart=gate,
        )
    due = due_since(attempts, condition, now, ladder, detected_at)
    return RecoveryPlan(
        Step.ACT,
        f"{decision.reason}; {gate.reason}",
        decision.strategy,
        decision.rung,
        due + gate.delay,
        ladder=decision,
        restart=gate,
        due_at=due,
    )
