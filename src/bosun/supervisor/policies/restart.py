"""Restart intensity and backoff: Erlang/OTP limits plus systemd `RestartSteps` delays.

- **Streak**: the restarts since the identity last ran healthy for `stable_after`
  (Kubernetes resets CrashLoopBackOff after 10 minutes of clean running). A run that lasts
  `stable_after` proves health, so earlier restarts no longer count.
- **Intensity**: more than `max_restarts` restarts of the streak inside `restart_window`
  → quarantine and escalate instead of looping (OTP: MaxR in MaxT).
- **Same hook**: a restart made while the hook stood where it stands now (same work item,
  phase and checkpoint) counts towards the intensity however long ago it was: the identity
  has made no progress since, so a slow loop (a stall every half hour, a crash every five
  minutes) reaches the limit as surely as a fast one.
- **Backoff**: the first restart of a streak is immediate (a single crash costs nothing);
  the k-th after it waits `min(base · r^(k-1), max_delay)` with `r = (max_delay/base)^(1/steps)`
  — `base=10, steps=4, max=160` gives 10, 20, 40, 80, 160, 160… exactly like systemd.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class RestartRecord:
    """One restart: when the old session was seen dead and when the new one was started."""

    crashed_at: float
    restarted_at: float
    hook: str | None = None  # where the hook stood (`hook_key`); None: no hook, or unknown


class RestartAction(StrEnum):
    RESTART = "restart"
    QUARANTINE = "quarantine"


@dataclass(frozen=True)
class RestartDecision:
    action: RestartAction
    delay: float  # seconds to wait before restarting (0 when quarantining)
    restart_at: float
    streak: int  # restarts since the last stable run
    in_window: int  # of those, how many fall inside restart_window
    reason: str


@dataclass(frozen=True)
class RestartPolicy:
    max_restarts: int = 5
    restart_window: float = 600.0
    base_delay: float = 1.0
    steps: int = 4
    max_delay: float = 60.0
    stable_after: float = 600.0

    def streak(self, history: Sequence[RestartRecord], now: float) -> tuple[RestartRecord, ...]:
        """The restarts since the last run that lasted `stable_after` (oldest first).

        `now` is when the current session was seen dead (or the present, when asking how
        the identity is doing): the current run lasted `now - last.restarted_at`.
        """
        ordered = sorted(history, key=lambda r: r.restarted_at)
        kept: list[RestartRecord] = []
        run_ended = now
        for record in reversed(ordered):
            if record.restarted_at > now:
                continue  # recorded after the moment asked about
            if run_ended - record.restarted_at >= self.stable_after:
                break  # it ran healthy long enough after this restart
            kept.append(record)
            run_ended = record.crashed_at
        return tuple(reversed(kept))

    def next_delay(self, history: Sequence[RestartRecord], now: float) -> float:
        """Seconds to wait before the next restart."""
        return self.delay_for(len(self.streak(history, now)))

    def delay_for(self, previous: int) -> float:
        """The delay before a restart that follows `previous` restarts of the same streak."""
        if previous <= 0 or self.base_delay <= 0:
            return 0.0
        if self.steps <= 0 or self.max_delay <= self.base_delay:
            return self.base_delay
        ratio: float = (self.max_delay / self.base_delay) ** (1.0 / self.steps)
        delay: float = self.base_delay * ratio ** (previous - 1)
        return min(delay, self.max_delay)

    def decide(
        self, history: Sequence[RestartRecord], now: float, hook: str | None = None
    ) -> RestartDecision:
        """Restart (after a delay) or quarantine, for an identity that needs a restart now.

        `hook`: where the identity's hook stands now (`hook_key`); earlier restarts made at
        the same place count towards the limit whenever they were."""
        streak = self.streak(history, now)
        counted = {
            (r.crashed_at, r.restarted_at)
            for r in history
            if r.restarted_at <= now
            and (
                (r in streak and r.restarted_at > now - self.restart_window)
                or (hook is not None and r.hook == hook)
            )
        }
        in_window = len(counted)
        if in_window >= self.max_restarts:
            return RestartDecision(
                RestartAction.QUARANTINE,
                0.0,
                now,
                len(streak),
                in_window,
                f"{in_window} restarts within {self.restart_window:g}s or without "
                f"progress on the hook (limit {self.max_restarts}); quarantined",
            )
        delay = self.delay_for(len(streak))
        return RestartDecision(
            RestartAction.RESTART,
            delay,
            now + delay,
            len(streak),
            in_window,
            f"restart {len(streak) + 1} of this streak"
            + (f" after {delay:.3g}s backoff" if delay else ", immediately"),
        )

    def is_stable(self, history: Sequence[RestartRecord], now: float) -> bool:
        """True once the identity has run `stable_after` since its last restart."""
        return not self.streak(history, now)


def hook_key(work_id: str | None, phase: str | None, note: str | None) -> str | None:
    """Where a hook stands, for counting restarts made without progress: it changes with
    every phase change and every checkpoint the agent writes (its note; the supervisor's own
    checkpoint before a context cycle keeps the note, so it does not count as progress)."""
    if work_id is None:
        return None
    digest = hashlib.blake2b((note or "").encode(), digest_size=6).hexdigest()
    return f"{work_id}:{phase}:{digest}"
