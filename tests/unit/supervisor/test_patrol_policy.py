"""Patrol: cadence per role, crew exemption, the nudge text, compliance of a nudge."""

from __future__ import annotations

from bosun.supervisor.policies.detect import Observations, ScreenState
from bosun.supervisor.policies.patrol import (
    Compliance,
    PatrolConfig,
    PatrolSubject,
    RoleKind,
    decide_nudge,
    evaluate_compliance,
    nudge_text,
    patrol_due,
    patrol_interval,
    role_kind,
)

T0 = 1_800_000_000.0
CFG = PatrolConfig()


def test_intervals_per_role_and_crew_exempt() -> None:
    assert patrol_interval("polecat", CFG) == 300
    assert patrol_interval("orchestrator", CFG) == 300
    assert patrol_interval("mayor", CFG) == 600
    assert patrol_interval("crew", CFG) is None
    assert patrol_interval("polecat", CFG, crew=True) is None
    assert role_kind("runner", CFG) == RoleKind.ORCHESTRATOR


def test_patrol_is_due_after_the_interval_and_at_once_when_never_patrolled() -> None:
    assert patrol_due("polecat", None, T0, CFG)
    assert not patrol_due("polecat", T0, T0 + 299.9, CFG)
    assert patrol_due("polecat", T0, T0 + 300, CFG)
    assert not patrol_due("mayor", T0, T0 + 300, CFG)
    assert patrol_due("mayor", T0, T0 + 600, CFG)
    assert not patrol_due("polecat", None, T0, CFG, crew=True)


def subject(**kw: object) -> PatrolSubject:
    base: dict[str, object] = dict(
        role="polecat",
        screen_state=ScreenState.READY,
        hook_unfinished=True,
        work_title="Add login form",
        phase="executing",
    )
    base.update(kw)
    return PatrolSubject(**base)  # type: ignore[arg-type]


def test_an_idle_agent_with_unfinished_work_is_nudged_with_its_work() -> None:
    decision = decide_nudge(subject(), T0, CFG)
    assert decision.nudge
    assert decision.text == (
        "Run `bosun prime` and continue your hook: Add login form, phase executing."
    )


def test_no_nudge_when_busy_waiting_without_work_not_due_or_crew() -> None:
    assert not decide_nudge(subject(screen_state=ScreenState.BUSY), T0, CFG).nudge
    assert not decide_nudge(subject(screen_state=ScreenState.WAITING), T0, CFG).nudge
    assert not decide_nudge(subject(hook_unfinished=False), T0, CFG).nudge
    assert not decide_nudge(subject(last_patrol=T0 - 10), T0, CFG).nudge
    crew = decide_nudge(subject(crew=True), T0, CFG)
    assert not crew.nudge and "crew" in crew.reason


def test_the_nudge_is_role_aware_and_one_line() -> None:
    orchestrator = nudge_text("orchestrator", "Auth epic", "validating", CFG)
    assert orchestrator.startswith(
        "Run `bosun prime` and continue your hook: Auth epic, phase validating."
    )
    assert "workers" in orchestrator
    assert "bosun status" in nudge_text("mayor", "Plan", "assigned", CFG)
    typed = nudge_text("polecat", "line one\nline two\r\n" + "x" * 500, None, CFG)
    assert "\n" not in typed and "\r" not in typed
    assert "line one line two" in typed and "phase unknown" in typed
    assert len(typed) < 300


def seen(**kw: object) -> Observations:
    base: dict[str, object] = dict(
        identity="polecat/toast", alive=True, last_seen=T0 - 100, screen_state=ScreenState.READY
    )
    base.update(kw)
    return Observations(**base)  # type: ignore[arg-type]


def test_a_heartbeat_within_the_window_is_compliance() -> None:
    result = evaluate_compliance(T0, seen(last_seen=T0 + 30), T0 + 31, 120)
    assert result.compliance == Compliance.COMPLIED
    assert result.evidence == {"response": "heartbeat", "after_s": 30.0}
    assert result.at == T0 + 30


def test_going_busy_within_the_window_is_compliance() -> None:
    result = evaluate_compliance(
        T0, seen(screen_state=ScreenState.BUSY, screen_changed_at=T0 + 4), T0 + 5, 120
    )
    assert result.compliance == Compliance.COMPLIED
    assert result.evidence["response"] == "busy"


def test_silence_through_the_window_is_ignored_and_before_it_pending() -> None:
    assert evaluate_compliance(T0, seen(), T0 + 60, 120).compliance == Compliance.PENDING
    ignored = evaluate_compliance(T0, seen(), T0 + 120, 120)
    assert ignored.compliance == Compliance.IGNORED
    late = evaluate_compliance(T0, seen(last_seen=T0 + 200), T0 + 201, 120)
    assert late.compliance == Compliance.IGNORED


def test_nudges_back_off_while_the_hook_does_not_move_and_stop_without_work() -> None:
    from bosun.supervisor.policies.patrol import PatrolConfig as Config
    from bosun.supervisor.policies.patrol import PatrolSubject as Subject
    from bosun.supervisor.policies.patrol import decide_nudge as decide

    config = Config(interval=300, max_interval=3600)
    idle = Subject("polecat", ScreenState.READY, True, last_patrol=0.0)
    assert decide(idle, 300, config).nudge
    twice = Subject("polecat", ScreenState.READY, True, last_patrol=0.0, unanswered=2)
    assert not decide(twice, 1199, config).nudge and decide(twice, 1200, config).nudge
    many = Subject("polecat", ScreenState.READY, True, last_patrol=0.0, unanswered=50)
    assert not decide(many, 3599, config).nudge and decide(many, 3600, config).nudge
    done = Subject("polecat", ScreenState.READY, False, last_patrol=0.0)
    assert not decide(done, 10_000, config).nudge
