"""The guard registry, the guards' runtime self-reports and their posture.

Every guard bosun runs is registered here with how its configured state is read. The
running supervisor calls `report_guard(tx, …)` once per tick for each guard it runs; `bosun
guards` and `bosun status` compare the reports with the configuration (`guard_posture`).
Engines that land later register their guards from their own `settings.py` (imported by
`all_settings()`), so every guard shows up even when nothing has ever reported it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.base.config import all_settings
from bosun.base.errors import ConfigError, InvalidInput
from bosun.base.names import check_name, check_text
from bosun.supervisor.breaker import resume_breaker_open
from bosun.supervisor.policies.posture import (
    Configured,
    GuardRow,
    SelfReport,
    attention_line,
    classify,
)

if TYPE_CHECKING:
    from bosun.base.config import Config
    from bosun.store.protocol import Row, Tx


@dataclass(frozen=True)
class GuardSpec:
    name: str
    title: str
    configured: Callable[[Config], Configured]
    engine: str  # which process runs it: "supervisor", "mergequeue", …
    # why its circuit breaker is open, read from the store (None: closed, or no breaker)
    tripped: Callable[[Tx, Config], str | None] | None = None


def _switch(prefix: str) -> Callable[[Config], Configured]:
    def read(config: Config) -> Configured:
        return Configured(
            _flag(config, f"{prefix}.enabled", True), _flag(config, f"{prefix}.dry_run", False)
        )

    return read


def _flag(config: Config, key: str, default: bool) -> bool:
    try:
        return config.flag(key)
    except ConfigError:
        return default  # the engine that declares it has not landed yet


_REGISTRY: dict[str, GuardSpec] = {}


def register_guard(spec: GuardSpec) -> None:
    check_name(spec.name.replace("_", "-"), "guard name")
    _REGISTRY[spec.name] = spec


def registered_guards() -> dict[str, GuardSpec]:
    all_settings()  # imports every package's settings.py, where guards register
    return dict(_REGISTRY)


for _spec in (
    GuardSpec("patrol", "patrol nudges", _switch("supervisor.patrol"), "supervisor"),
    GuardSpec("recovery_ladder", "recovery ladder", _switch("supervisor.recovery"), "supervisor"),
    GuardSpec("context_cycling", "context cycling", _switch("supervisor.context"), "supervisor"),
    GuardSpec(
        "resume_queue",
        "resume queue",
        _switch("supervisor.resume"),
        "supervisor",
        tripped=lambda tx, config: resume_breaker_open(tx, config),
    ),
    GuardSpec(
        "host_lock",
        "supervisor host lock",
        lambda c: Configured(True, _flag(c, "supervisor.lock.dry_run", False)),
        "supervisor",
    ),
    GuardSpec("merge_queue", "merge-queue processor", _switch("merge_queue"), "mergequeue"),
    GuardSpec("trigger_workers", "trigger workers", _switch("triggers"), "triggers"),
    GuardSpec("sentinel", "action-claim sentinel", _switch("sentinel"), "sentinel"),
):
    register_guard(_spec)


def report_guard(
    tx: Tx,
    guard: str,
    host: str,
    *,
    enabled: bool,
    cadence: float,
    dry_run: bool = False,
    error: str | None = None,
    detail: str | None = None,
) -> None:
    """Record a guard's self-report for this tick (last_tick = tx.now).

    An error appearing or clearing is an event (`guard.errored` / `guard.recovered`); a
    plain tick is not, so the event log does not fill with heartbeats.
    """
    if cadence <= 0:
        raise InvalidInput(
            f"guard {guard} cadence {cadence} must be > 0",
            "pass the seconds between the guard's ticks",
        )
    if error is not None:
        error = check_text(error, "guard error", 4096)
    before = tx.one("guard_report_get", guard=guard, host=host)
    tx.run(
        "guard_report_upsert",
        guard=guard,
        host=host,
        enabled=int(enabled),
        dry_run=int(dry_run),
        cadence=cadence,
        error=error,
        detail=detail,
    )
    had_error = before is not None and before["error"]
    if error and (not had_error or before is None or before["error"] != error):
        tx.emit("guard.errored", guard, {"host": host, "error": error})
    elif had_error and not error:
        tx.emit("guard.recovered", guard, {"host": host})


def self_report(row: Row) -> SelfReport:
    return SelfReport(
        guard=row["guard"],
        host=row["host"],
        enabled=bool(row["enabled"]),
        dry_run=bool(row["dry_run"]),
        last_tick=float(row["last_tick"]),
        cadence=float(row["cadence"]),
        error=row["error"],
        detail=row["detail"],
    )


def guard_posture(tx: Tx, config: Config, now: float) -> list[GuardRow]:
    """One row per guard and reporting host; a registered guard nobody reported gets one row
    with no host (configured on → off-runtime-divergent)."""
    stale_factor = config.number("supervisor.guards.stale_factor")
    reports: dict[str, list[SelfReport]] = {}
    for row in tx.all("guard_reports_all"):
        report = self_report(row)
        reports.setdefault(report.guard, []).append(report)
    specs = registered_guards()
    rows: list[GuardRow] = []
    for name in sorted(set(specs) | set(reports)):
        spec = specs.get(name)
        # A guard reported but not registered here runs somewhere; judge it by its report.
        configured = spec.configured(config) if spec else Configured(True)
        tripped = spec.tripped(tx, config) if spec and spec.tripped else None
        found: list[SelfReport | None] = list(reports.get(name, [])) or [None]
        rows.extend(
            classify(name, configured, r, now, stale_factor=stale_factor, tripped=tripped)
            for r in found
        )
    return rows


def row_json(row: GuardRow, now: float) -> dict[str, Any]:
    report = row.report
    return {
        "guard": row.guard,
        "host": row.host,
        "posture": str(row.posture),
        "reason": row.reason,
        "note": row.note,
        "attention": row.needs_attention,
        "configured": {"enabled": row.configured.enabled, "dry_run": row.configured.dry_run},
        "runtime": None
        if report is None
        else {
            "enabled": report.enabled,
            "dry_run": report.dry_run,
            "last_tick": iso(report.last_tick),
            "last_tick_age_s": round(max(0.0, now - report.last_tick), 3),
            "cadence_s": report.cadence,
            "error": report.error,
            "detail": report.detail,
        },
    }


def guard_attention(tx: Tx, config: Config, now: float) -> str | None:
    """The aggregated attention line for `bosun status` (None when all is well)."""
    return attention_line(guard_posture(tx, config, now))
