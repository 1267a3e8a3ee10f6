"""Pure decisions of the merge queue: batch size, the adaptive window, and bisection.

A batch of n requests is built as a chain of cumulative candidates c1 … cn on the target
tip (ci = tip + requests 1..i). Testing the prefix of length i means testing ci, so a
failing batch is bisected by testing prefixes on top of the known-good one (bors), landing
each green prefix as soon as it is known, until the first failing request is isolated.
Requests after the culprit are re-tested from scratch without it (Zuul), because their
own result is unknown. The window grows by one after a green batch and halves after a red
one, between a floor and a ceiling (Zuul's AIMD).
"""

from __future__ import annotations

from dataclasses import dataclass

ADAPTIVE = "adaptive"


def batch_limit(mode: str, window: int) -> int:
    """How many queued requests the next batch takes."""
    return max(1, window) if mode == ADAPTIVE else 1


def initial_window(floor: int, ceiling: int) -> int:
    """A target's first window: optimistic, like Zuul (start wide, shrink on failure)."""
    return max(floor, ceiling)


def next_window(current: int, green: bool, floor: int, ceiling: int) -> int:
    """+1 after a green batch, halved after a red one, kept within [floor, ceiling]."""
    low, high = min(floor, ceiling), max(floor, ceiling)
    proposed = current + 1 if green else current // 2
    return max(low, min(high, proposed))


@dataclass(frozen=True)
class Bisection:
    """What is known about a chain of `size` cumulative candidates.

    `good` is the longest prefix known green (0 = the target tip itself) and `bad` the
    shortest prefix known red; the first culprit is request number `bad` (1-based).
    """

    size: int
    good: int
    bad: int

    @classmethod
    def after_red_batch(cls, size: int) -> Bisection:
        if size < 1:
            raise ValueError("a bisection needs at least one request")
        return cls(size, 0, size)

    @property
    def done(self) -> bool:
        return self.bad - self.good <= 1

    def probe(self) -> int | None:
        """The prefix length to test next, or None once the culprit is isolated."""
        return None if self.done else (self.good + self.bad) // 2

    def record(self, prefix: int, green: bool) -> Bisection:
        if not self.good < prefix < self.bad:
            raise ValueError(f"prefix {prefix} is outside the open range ({self.good}, {self.bad})")
        if green:
            return Bisection(self.size, prefix, self.bad)
        return Bisection(self.size, self.good, prefix)

    @property
    def culprit(self) -> int:
        """0-based index of the isolated culprit (valid once `done`)."""
        if not self.done:
            raise ValueError("the culprit is not isolated yet")
        return self.bad - 1

    @property
    def retest(self) -> range:
        """0-based indices after the culprit, to re-test without it (valid once `done`)."""
        return range(self.bad, self.size)


def max_gate_runs(size: int) -> int:
    """Gate runs to settle a batch of `size` with one culprit: the batch plus ceil(log2 size)
    probes (the re-test of the requests after the culprit is a new batch)."""
    runs, span = 1, size
    while span > 1:
        span = (span + 1) // 2
        runs += 1
    return runs
