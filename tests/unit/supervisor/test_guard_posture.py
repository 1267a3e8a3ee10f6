"""Guard posture classification and the aggregated attention line."""

from __future__ import annotations

from bosun.supervisor.policies.posture import (
    Configured,
    Posture,
    SelfReport,
    attention_line,
    classify,
)

NOW = 1_800_000_000.0
ON, OFF, DRY = Configured(True), Configured(False), Configured(True, dry_run=True)


def report(
    age: float = 1.0,
    enabled: bool = True,
    dry_run: bool = False,
    error: str | None = None,
    cadence: float = 1.0,
) -> SelfReport:
    return SelfReport("patrol", "host-a", enabled, dry_run, NOW - age, cadence, error)


def test_each_posture() -> None:
    assert classify("patrol", ON, report(), NOW).posture == Posture.ON_CONFIRMED
    assert classify("patrol", ON, report(age=5.1), NOW).posture == Posture.ON_STALE
    assert classify("patrol", ON, report(age=5.0), NOW).posture == Posture.ON_CONFIRMED
    assert classify("patrol", DRY, report(dry_run=True), NOW).posture == Posture.ON_DRY_RUN
    assert classify("patrol", OFF, None, NOW).posture == Posture.OFF
    assert classify("patrol", OFF, report(enabled=False), NOW).posture == Posture.OFF
    assert classify("patrol", ON, None, NOW).posture == Posture.OFF_RUNTIME_DIVERGENT
    assert (
        classify("patrol", ON, report(enabled=False), NOW).posture == Posture.OFF_RUNTIME_DIVERGENT
    )
    assert classify("patrol", ON, report(error="lock held"), NOW).posture == Posture.ERRORED


def test_stale_is_five_times_the_cadence_by_default_and_configurable() -> None:
    assert classify("patrol", ON, report(age=49, cadence=10), NOW).posture == Posture.ON_CONFIRMED
    assert classify("patrol", ON, report(age=51, cadence=10), NOW).posture == Posture.ON_STALE
    assert (
        classify("patrol", ON, report(age=25, cadence=10), NOW, stale_factor=2).posture
        == Posture.ON_STALE
    )


def test_errored_wins_over_everything() -> None:
    row = classify("host_lock", OFF, report(error="held by old-host", enabled=False), NOW)
    assert row.posture == Posture.ERRORED and row.reason == "held by old-host"


def test_configured_off_but_still_running_is_flagged() -> None:
    row = classify("patrol", OFF, report(), NOW)
    assert row.posture == Posture.ON_CONFIRMED
    assert row.note is not None and row.needs_attention


def test_attention_names_every_guard_not_confirmed_or_deliberately_off() -> None:
    rows = [
        classify("patrol", ON, report(), NOW),
        classify("sentinel", OFF, None, NOW),
        classify("resume_queue", ON, None, NOW),
        classify("host_lock", ON, report(error="lock held by host 'old'"), NOW),
    ]
    line = attention_line(rows)
    assert line is not None
    assert line.startswith("2 guards need attention: ")
    assert "resume_queue off-runtime-divergent" in line
    assert "host_lock@host-a errored (lock held by host 'old')" in line
    assert "patrol" not in line and "sentinel" not in line
    assert attention_line(rows[:2]) is None
