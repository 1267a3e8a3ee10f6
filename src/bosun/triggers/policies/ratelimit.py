"""Token-bucket rate limits, one bucket per target agent and one per thread."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BucketConfig:
    rate_per_minute: float
    burst: int

    @property
    def per_second(self) -> float:
        return self.rate_per_minute / 60.0


@dataclass(frozen=True)
class Bucket:
    tokens: float
    updated_at: float

    @classmethod
    def full(cls, config: BucketConfig, now: float) -> Bucket:
        return cls(float(config.burst), now)


@dataclass(frozen=True)
class Take:
    allowed: bool
    bucket: Bucket  # the bucket after refilling (and taking, when allowed)
    wait: float  # seconds until one token is available (0 when allowed)


def refill(bucket: Bucket, now: float, config: BucketConfig) -> Bucket:
    elapsed = max(0.0, now - bucket.updated_at)
    tokens = min(float(config.burst), bucket.tokens + elapsed * config.per_second)
    return Bucket(tokens, max(now, bucket.updated_at))


def take_token(bucket: Bucket | None, now: float, config: BucketConfig) -> Take:
    current = refill(bucket or Bucket.full(config, now), now, config)
    if current.tokens >= 1.0:
        return Take(True, Bucket(current.tokens - 1.0, current.updated_at), 0.0)
    return Take(False, current, (1.0 - current.tokens) / config.per_second)


def take_all(buckets: list[tuple[Bucket | None, BucketConfig]], now: float) -> list[Take]:
    """Take one token from every bucket, or from none (all-or-nothing)."""
    takes = [take_token(b, now, c) for b, c in buckets]
    if all(t.allowed for t in takes):
        return takes
    wait = max(t.wait for t in takes)
    return [Take(False, refill(b or Bucket.full(c, now), now, c), wait) for b, c in buckets]
