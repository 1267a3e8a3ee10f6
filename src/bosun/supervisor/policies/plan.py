"""One recovery decision for the engine: the ladder's next rung, gated by restart limits.

The ladder says *what* to try; a rung that restarts the session (seance restart, context
cycle) must also pass the restart policy, which says *when* (backoff) or *not at all*
(quarantine + escalation).
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


def plan_recovery(
    attempts: Sequence[Attempt],
    restarts: Sequence[RestartRecord],
    condition: Condition,
    now: float,
    ladder: LadderConfig,
    restart: RestartPolicy,
    *,
    crew: bool = False,
) -> RecoveryPlan:
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
    gate = restart.decide(restarts, now)
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
    return RecoveryPlan(
        Step.ACT,
        f"{decision.reason}; {gate.reason}",
        decision.strategy,
        decision.rung,
        gate.restart_at,
        ladder=decision,
        restart=gate,
    )
