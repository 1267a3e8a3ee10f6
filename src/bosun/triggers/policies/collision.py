"""Collision policy: never type into a session a person or the agent used recently.

Deliver once the session has been quiet (no screen change, no input) for `quiet_window`;
otherwise re-check after `recheck`; after waiting `max_defer` in total, deliver anyway or fail
with `collision_timeout`, as configured.

"Deliver anyway" never types into a screen that shows the agent working (or asking a
question): such a target is looked at again later (`busy_retry_at`: the pause doubles from
`recheck` up to `busy_backoff_cap`), until the job's `job_ttl` has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CollisionAction(StrEnum):
    DELIVER = "deliver"
    DEFER = "defer"
    FAIL = "fail"


@dataclass(frozen=True)
class CollisionConfig:
    quiet_window: float = 20.0
    recheck: float = 5.0
    max_defer: float = 60.0
    on_timeout: str = "deliver"  # deliver | fail
    busy_backoff_cap: float = 60.0
    job_ttl: float = 6 * 3600.0


@dataclass(frozen=True)
class CollisionDecision:
    action: CollisionAction
    reason: str  # quiet | forced | busy | collision_timeout
    retry_at: float | None = None  # for DEFER


def decide_collision(
    *,
    now: float,
    last_activity: float | None,
    deferred_since: float | None,
    config: CollisionConfig,
    force: bool = False,
) -> CollisionDecision:
    """`last_activity`: the later of the last screen change and the last input (None: never).

    `deferred_since`: when this job first found the session busy (None: not deferred yet).
    """
    if force:
        return CollisionDecision(CollisionAction.DELIVER, "forced")
    quiet_for = float("inf") if last_activity is None else now - last_activity
    if quiet_for >= config.quiet_window:
        return CollisionDecision(CollisionAction.DELIVER, "quiet")
    waited = 0.0 if deferred_since is None else now - deferred_since
    if waited >= config.max_defer:
        if config.on_timeout == "fail":
            return CollisionDecision(CollisionAction.FAIL, "collision_timeout")
        return CollisionDecision(CollisionAction.DELIVER, "collision_timeout")
    start = now if deferred_since is None else deferred_since
    # re-check after `recheck`, sooner if the quiet window ends first, never past max_defer
    retry_at = min(
        now + config.recheck, (last_activity or now) + config.quiet_window, start + config.max_defer
    )
    return CollisionDecision(CollisionAction.DEFER, "busy", max(retry_at, now))


def busy_retry_at(*, now: float, busy_since: float, config: CollisionConfig) -> float:
    """When to look again at a target whose screen is busy: after as long as it has been
    busy so far (so the pause doubles), at least `recheck`, at most `busy_backoff_cap`."""
    waited = max(0.0, now - busy_since)
    return now + min(config.busy_backoff_cap, max(config.recheck, waited))


def job_expired(*, now: float, created_at: float, config: CollisionConfig) -> bool:
    """The job has outlived `job_ttl` (its target never became free to take the message)."""
    return now - created_at >= config.job_ttl
