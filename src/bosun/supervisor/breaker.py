"""The resume queue's circuit breaker as the store records it: the recent revival outcomes,
read once for the queue's drain and for the guard's posture (`tripped` when open)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bosun.base.clock import iso
from bosun.supervisor.policies.resume import Breaker, ResumeConfig, breaker_state
from bosun.supervisor.recovery_log import RESUME_STRATEGY
from bosun.supervisor.typed_settings import validate_supervisor_config

if TYPE_CHECKING:
    from bosun.base.config import Config
    from bosun.store.protocol import Tx

BREAKER_LOOKBACK = 50


def revival_outcomes(tx: Tx) -> list[tuple[float, bool]]:
    """The last BREAKER_LOOKBACK revivals as `(decided at, succeeded)`."""
    rows = tx.all(
        "recovery_attempts_by_strategy", strategy=RESUME_STRATEGY, limit=BREAKER_LOOKBACK
    )
    return [(float(r["decided_at"] or r["started_at"]), r["outcome"] == "success") for r in rows]


def resume_breaker(tx: Tx, config: ResumeConfig) -> Breaker:
    return breaker_state(revival_outcomes(tx), tx.now, config)


def resume_breaker_open(tx: Tx, config: Config) -> str | None:
    """Why the resume queue revives nobody just now; None while its breaker is closed."""
    breaker = resume_breaker(tx, validate_supervisor_config(config).resume)
    if not breaker.open:
        return None
    return (
        f"breaker OPEN after {breaker.failures} failed revivals in a row: no agent is revived "
        f"until {iso(breaker.until)}; see `bosun resume-queue list`"
    )
