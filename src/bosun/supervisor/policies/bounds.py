"""How long a failing agent can go before it reaches a visible end (escalated or
quarantined), computed from the settings: the bounds docs/supervisor.md states, which the
supervision simulator (tests/supervision_sim) checks against the real engine.

Every step of the way may start up to one `slack` late: the tick, plus the screen look
interval (a change is seen at the next look).
"""

from __future__ import annotations

from dataclasses import dataclass

from bosun.supervisor.policies.detect import Condition, DetectConfig
from bosun.supervisor.policies.ladder import RESTARTING, LadderConfig, Strategy
from bosun.supervisor.policies.restart import RestartPolicy


@dataclass(frozen=True)
class Bounds:
    detect: DetectConfig
    ladder: LadderConfig
    restart: RestartPolicy
    tick: float

    @property
    def slack(self) -> float:
        """How late one step can be seen: a tick plus a screen look."""
        look = min(
            max(min(self.detect.stall_after, self.detect.waiting_after) / 10, self.tick), 15.0
        )
        return self.tick + look

    def ladder_escalation(self, condition: Condition, quiet_after: float) -> float:
        """Seconds from an agent's last progress to its escalation, when no rung of the
        ladder brings progress back (`quiet_after`: stall_after or stale_after)."""
        total = quiet_after + self.slack
        restarts = 0
        for strategy in self.ladder.strategies(condition):
            if strategy == Strategy.ESCALATE:
                return total
            if strategy in RESTARTING:
                # the restarted session is judged again: fails at verify_within, and is
                # quiet again after quiet_after (its start-up is its last sign of life)
                total += max(self.ladder.verify_within, quiet_after)
                total += self.restart.delay_for(restarts)
                restarts += 1
            else:
                total += self.ladder.verify_within
            total += self.slack
        return total

    def stalled(self) -> float:
        """A busy agent that stalls again in every incarnation → escalated within this."""
        return self.ladder_escalation(Condition.STALLED, self.detect.stall_after)

    def stale(self) -> float:
        """An idle agent with work on its hook that ignores every nudge → escalated within."""
        return self.ladder_escalation(Condition.STALE, self.detect.stale_after)

    def no_progress_loop(self, cycle: float) -> float:
        """An identity restarted again and again without moving its hook — each incarnation
        works `cycle` seconds (crashing, or stalling after showing some work) — is
        quarantined by its (max_restarts + 1)-th restart at the latest."""
        delays = sum(self.restart.delay_for(k) for k in range(self.restart.max_restarts + 1))
        per_restart = cycle + self.ladder.verify_within + 2 * self.slack
        return (self.restart.max_restarts + 1) * per_restart + delays

    def crash_loop(self, run: float) -> float:
        """A session that crashes `run` seconds into every incarnation → quarantined within."""
        return self.no_progress_loop(run)

    def repeating_stall(self, work_for: float) -> float:
        """A busy agent that shows `work_for` s of work after each start, then stalls (no
        checkpoint) → escalated or quarantined within this."""
        return self.no_progress_loop(work_for + self.detect.stall_after)
