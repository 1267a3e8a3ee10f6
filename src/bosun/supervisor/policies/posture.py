"""Guard posture (as instar's `GET /guards` reports it): is each guard really doing its job?

A guard's *configured* state (enabled, dry run) is compared with its *runtime self-report*
(enabled, dry run, last tick, error) written by the running supervisor every tick. First
match wins:

    errored                the guard reported an error
    off-runtime-divergent  configured on, but nothing reports it running
    off                    configured off (deliberately), and not running
    on-dry-run             running in dry-run mode: it decides but does not act
    tripped                running, but its circuit breaker is open: it does not act
    on-stale               no tick within `stale_factor` × its cadence
    on-confirmed           running, acting, ticking
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Posture(StrEnum):
    ON_CONFIRMED = "on-confirmed"
    ON_STALE = "on-stale"
    ON_DRY_RUN = "on-dry-run"
    TRIPPED = "tripped"
    OFF = "off"
    OFF_RUNTIME_DIVERGENT = "off-runtime-divergent"
    ERRORED = "errored"


QUIET = frozenset({Posture.ON_CONFIRMED, Posture.OFF})


@dataclass(frozen=True)
class Configured:
    enabled: bool
    dry_run: bool = False


@dataclass(frozen=True)
class SelfReport:
    """A guard's runtime self-report: one row of `guard_reports`."""

    guard: str
    host: str
    enabled: bool
    dry_run: bool
    last_tick: float
    cadence: float
    error: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class GuardRow:
    guard: str
    host: str | None
    posture: Posture
    configured: Configured
    report: SelfReport | None
    reason: str
    note: str | None = None  # configured and running disagree in a way worth saying

    @property
    def needs_attention(self) -> bool:
        return self.posture not in QUIET or self.note is not None


def classify(
    guard: str,
    configured: Configured,
    report: SelfReport | None,
    now: float,
    *,
    stale_factor: float = 5.0,
    tripped: str | None = None,
) -> GuardRow:
    """`tripped` is why the guard's circuit breaker is open (None when it is closed)."""
    host = report.host if report else None

    def row(posture: Posture, reason: str, note: str | None = None) -> GuardRow:
        return GuardRow(guard, host, posture, configured, report, reason, note)

    if report is not None and report.error:
        return row(Posture.ERRORED, report.error)
    running = report is not None and report.enabled
    if not running:
        if configured.enabled:
            why = (
                "no supervisor has reported it"
                if report is None
                else "the running supervisor reports it disabled"
            )
            return row(Posture.OFF_RUNTIME_DIVERGENT, f"configured on, but {why}")
        return row(Posture.OFF, "configured off")
    assert report is not None
    note = (
        None
        if configured.enabled
        else "configured off, but the running supervisor still runs it (restart it to apply)"
    )
    if report.dry_run:
        return row(Posture.ON_DRY_RUN, "dry run: decides and logs, does not act", note)
    if tripped:
        return row(Posture.TRIPPED, tripped, note)
    age = now - report.last_tick
    limit = stale_factor * report.cadence
    if age > limit:
        return row(
            Posture.ON_STALE,
            f"last tick {age:.0f}s ago (expected every "
            f"{report.cadence:g}s; stale after {limit:g}s)",
            note,
        )
    return row(Posture.ON_CONFIRMED, f"ticked {age:.0f}s ago", note)


def attention_line(rows: Iterable[GuardRow]) -> str | None:
    """One aggregated line for `bosun status` naming every guard that needs attention."""
    flagged = [r for r in rows if r.needs_attention]
    if not flagged:
        return None
    parts = []
    for r in flagged:
        where = f"@{r.host}" if r.host else ""
        parts.append(
            f"{r.guard}{where} {r.posture}"
            + (f" ({r.reason})" if r.posture in (Posture.ERRORED, Posture.TRIPPED) else "")
        )
    noun = "guard needs" if len(flagged) == 1 else "guards need"
    return f"{len(flagged)} {noun} attention: " + "; ".join(parts) + " — see `bosun guards`"
