"""The supervisor at its default settings, on a fake clock, against agents that keep failing
(see simworld.py): each reaches a visible end — escalated or quarantined — within the bound
docs/supervisor.md states, and a healthy agent is never touched."""

from __future__ import annotations

from pathlib import Path

from simworld import CrashLooper, Hanger, HealthyWorker, NudgeIgnorer, make_sim

from bosun.agents.views import agent_views
from bosun.supervisor.policies.ladder import Outcome, Strategy
from bosun.supervisor.status import build_status

HOUR = 3600.0


def test_a_stall_that_repeats_in_every_incarnation_is_escalated_then_quarantined(
    sim_root: Path,
) -> None:
    sim = make_sim(sim_root)
    hung = sim.spawn("hung", Hanger(work_for=0))
    start = sim.clock.now()
    bounds = sim.bounds()
    sim.run(3 * HOUR, until=lambda: sim.status(hung) == "quarantined")
    escalated = sim.escalated_at(hung)
    assert escalated is not None and escalated - start <= bounds.stalled()
    # every restart was judged on progress, not on the new session's start-up
    restarts = [a for a in sim.attempts(hung) if a.strategy == Strategy.SEANCE_RESTART]
    assert restarts and all(a.outcome == Outcome.FAILURE for a in restarts)
    assert sim.status(hung) == "quarantined"
    assert sim.incarnation(hung) <= sim.settings.restart.max_restarts + 1


def test_a_stall_after_some_work_each_time_ends_quarantined_without_progress(
    sim_root: Path,
) -> None:
    sim = make_sim(sim_root)
    ref = sim.spawn("loops", Hanger(work_for=120))
    start = sim.clock.now()
    bound = sim.bounds().repeating_stall(120)
    sim.run(bound + 60, until=lambda: sim.status(ref) == "quarantined")
    assert sim.status(ref) == "quarantined"
    assert sim.clock.now() - start <= bound


def test_a_slow_crash_loop_is_quarantined(sim_root: Path) -> None:
    sim = make_sim(sim_root)
    ref = sim.spawn("crashy", CrashLooper(after=240))
    start = sim.clock.now()
    bound = sim.bounds().crash_loop(240)
    sim.run(bound + 60, until=lambda: sim.status(ref) == "quarantined")
    assert sim.status(ref) == "quarantined"
    assert sim.clock.now() - start <= bound


def test_an_agent_that_ignores_nudges_is_recovered_and_not_nudged_for_ever(
    sim_root: Path,
) -> None:
    sim = make_sim(sim_root)
    ref = sim.spawn("deaf", NudgeIgnorer())
    start = sim.clock.now()
    sim.run(sim.bounds().stale() + 60, until=lambda: sim.escalated_at(ref) is not None)
    escalated = sim.escalated_at(ref)
    assert escalated is not None and escalated - start <= sim.bounds().stale()
    # the ignored patrol nudge counted as a failed rung; the nudge's echo reset nothing
    attempts = sim.attempts(ref)
    with sim.ctx.store.transaction(write=False) as tx:
        rows = tx.all("recovery_attempts_for", role="polecat", name="deaf", since=0)
    assert any((r["detail"] or "").startswith("patrol nudge") for r in rows)
    assert sim.restarts(ref) >= 1
    assert sum(1 for a in attempts if a.strategy == Strategy.NUDGE) <= 3


def test_a_healthy_slow_worker_is_never_restarted(sim_root: Path) -> None:
    sim = make_sim(sim_root)
    slow = sim.spawn("slow", HealthyWorker(draw_every=300, checkpoint_every=1500, pause=120))
    sim.run(2 * HOUR, step=10)
    assert sim.restarts(slow) == 0 and sim.incarnation(slow) == 1
    assert sim.escalated_at(slow) is None


def test_an_escalated_or_quarantined_identity_shows_so_and_fails_the_status_check(
    sim_root: Path,
) -> None:
    sim = make_sim(sim_root)
    hung = sim.spawn("hung", Hanger(work_for=0))
    sim.run(HOUR, until=lambda: sim.escalated_at(hung) is not None)
    [view] = [v for v in agent_views(sim.fleet, probe=False) if v.identity == hung]
    assert view.status == "escalated" and view.escalation
    status = build_status(sim.ctx, merge_queue={})
    assert any(line.startswith("escalated: polecat/hung") for line in status["attention"])


def test_an_identity_at_the_revival_cap_is_quarantined_not_left_active(sim_root: Path) -> None:
    sim = make_sim(sim_root)
    ref = sim.spawn("quitter", CrashLooper(after=60, code=0))  # exits 0 mid-work, every time
    sim.run(HOUR, until=lambda: sim.status(ref) == "quarantined")
    assert sim.status(ref) == "quarantined"
    [view] = [v for v in agent_views(sim.fleet, probe=False) if v.identity == ref]
    assert view.status == "quarantined"
    assert build_status(sim.ctx, merge_queue={})["attention"]


def test_a_restarted_session_that_dies_at_once_is_reported_as_died(sim_root: Path) -> None:
    sim = make_sim(sim_root)
    ref = sim.spawn("brittle", HealthyWorker(draw_every=30, checkpoint_every=60))
    sim.run(30)
    sim.runtime.behaviours[ref] = CrashLooper(after=0.5)  # from now on it dies at start-up
    role, name = ref.split("/")
    session = sim.fleet.session(role, name)
    assert session is not None
    sim.runtime.crash(sim.fleet.handle(session), 9)
    sim.run(600, until=lambda: len(sim.attempts(ref)) >= 2)
    with sim.ctx.store.transaction(write=False) as tx:
        rows = tx.all("recovery_attempts_for", role=role, name=name, since=0)
    details = [r["detail"] for r in rows if r["outcome"] == "failure"]
    assert details and details[0].startswith("session died")
