"""Retry backoff: exponential with a cap and multiplicative jitter; bounded attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryConfig:
    max_attempts: int = 5
    base: float = 2.0
    cap: float = 300.0
    jitter: float = 0.1


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    run_after: float | None  # when the next attempt may run (None: dead)
    reason: str  # retry | exhausted | not_retryable


def retry_delay(failures: int, config: RetryConfig, rng: random.Random) -> float:
    """Delay before the attempt following failure number `failures` (1-based)."""
    raw = min(config.base * float(2 ** max(0, failures - 1)), config.cap)
    if config.jitter <= 0 or raw <= 0:
        return raw
    return max(0.0, raw * (1.0 + float(rng.uniform(-config.jitter, config.jitter))))


def decide_retry(
    *, failures: int, now: float, config: RetryConfig, rng: random.Random, retryable: bool = True
) -> RetryDecision:
    """`failures` counts this failure too. Dead when not retryable or attempts are used up."""
    if not retryable:
        return RetryDecision(False, None, "not_retryable")
    if failures >= config.max_attempts:
        return RetryDecision(False, None, "exhausted")
    return RetryDecision(True, now + retry_delay(failures, config, rng), "retry")
