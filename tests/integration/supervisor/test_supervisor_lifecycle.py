"""Context cycling, restart limits, handoff and the resume queue, end to end: sim agents in
real tmux, `bosun supervise` as its own process, the CLI as a user runs it."""

from __future__ import annotations

import json
import re
import signal

from suprig import Rig

from waiting import wait_for


def attempts(rig: Rig, name: str) -> list[dict]:
    with rig.ctx.store.transaction(write=False) as tx:
        rows = tx.all("recovery_attempts_for", role="polecat", name=name, since=0)
    return [dict(r) for r in rows]


def test_context_exhaustion_checkpoints_at_75_then_cycles_at_85(rig: Rig) -> None:
    # Usage grows ~7.5 % per step from 50 %: 79 % after step 4 (checkpoint asked while step 5
    # works), 88 % after step 5 (context cycle); the successor starts again near 50 %.
    work_id = rig.work(
        "Long task",
        [
            {"phase": "executing"},
            {"work": 0.3},
            {"work": 0.3},
            {"work": 0.3},
            {"work": 2.5},
            {"say": "resumed after the cycle"},
            {"work": 0.3},
        ],
        context={"window": 20000, "start": 10000, "per_step": 1300, "per_prompt": 0},
    )
    rig.supervise()
    rig.spawn("toast", work_id)

    [due] = wait_for(lambda: rig.events("supervisor.checkpoint_due_detected"), timeout=20)
    assert 75 <= due.data["context_pct"] < 85 and due.data["checkpoint_at"] == 75
    [asked] = wait_for(lambda: rig.events("supervisor.checkpoint_requested"))
    assert asked.data["incarnation"] == 1
    wait_for(
        lambda: "> Your context window is" in rig.transcript("toast"),
        what="the checkpoint request in the session",
    )
    [exhausted] = wait_for(lambda: rig.events("supervisor.context_exhausted_detected"), timeout=20)
    assert exhausted.data["context_pct"] >= 85 and exhausted.data["handoff_at"] == 85
    second = rig.incarnation_ready("toast", 2)
    cycle = [a for a in attempts(rig, "toast") if a["strategy"] == "context_cycle"]
    assert [a["condition"] for a in cycle] == ["context_exhausted"]
    signals = rig.ok("signal", "list", "--type", "HANDOFF_REQUESTED")
    assert [s["to"] for s in signals] == ["polecat/toast"]

    wait_for(lambda: "● resumed after the cycle" in rig.transcript("toast"), timeout=20)
    second_run = rig.transcript("toast").split("✻ bosun sim agent")[2]
    assert f'● work: {work_id} "Long task"' in second_run
    skipped = re.search(r"● skipping (\d) completed steps", second_run)
    assert skipped is not None and int(skipped.group(1)) >= 3  # resumed from the checkpoint
    assert "step 1/7" not in second_run  # the exact work item, not a fresh start
    assert rig.hook("toast").work_id == work_id
    assert second.incarnation == 2 and rig.live_rows("toast") == 1
    wait_for(lambda: rig.events("supervisor.recovery_success", "polecat/toast"), timeout=20)
    assert len(rig.events("supervisor.context_exhausted_detected")) == 1


def test_a_crash_loop_is_quarantined_and_escalated_visibly(rig: Rig) -> None:
    work_id = rig.work("Doomed task", [{"phase": "executing"}], faults={"crash_at_step": 1})
    rig.supervise(env={"BOSUN_SUPERVISOR_RECOVERY_MAX_RESTARTS": "2"})
    rig.spawn("toast", work_id)

    wait_for(lambda: rig.events("supervisor.quarantined", "polecat/toast"), timeout=30)
    assert str(rig.identity("toast").status) == "quarantined"
    [quarantined] = rig.events("supervisor.quarantined", "polecat/toast")
    assert "2 restarts within" in quarantined.data["reason"]
    [escalated] = wait_for(lambda: rig.events("supervisor.escalated", "polecat/toast"))
    assert escalated.data["reason"].startswith("quarantined: ")
    restarts = [a for a in attempts(rig, "toast") if a["strategy"] == "seance_restart"]
    # Each restarted session primes (heartbeat + screen) before it crashes again, so its
    # attempt may verify before the crash: both outcomes are honest; none stays pending.
    assert len(restarts) == 2
    assert {a["outcome"] for a in restarts} <= {"success", "failure"}
    assert len(rig.events("supervisor.crashed_detected", "polecat/toast")) == 3
    escalations = rig.ok("signal", "list", "--type", "ESCALATION")
    assert [(s["to"], s["payload"]["identity"]) for s in escalations] == [
        ("bosun/operator", "polecat/toast")
    ]
    assert rig.live_rows("toast") == 0  # its last session is recorded as ended

    status = rig.ok("status")
    [agent] = [a for a in status["agents"] if a["identity"] == "polecat/toast"]
    assert agent["status"] == "quarantined"
    assert any("quarantined: polecat/toast" in line for line in status["attention"])
    assert any("1 unread escalation" in line for line in status["attention"])
    text = rig.run("status", "--check")
    assert text.returncode == 1
    assert "ATTENTION: quarantined: polecat/toast" in text.stdout


def test_supervisor_kill_9_mid_recovery_resumes_without_a_duplicate_session(rig: Rig) -> None:
    work_id = rig.work(
        "Hang task",
        [{"phase": "executing"}, {"work": 0.3}, {"say": "unstuck"}, {"work": 30}],
        faults={"hang_at_step": 3, "ignore_nudges": True, "once": True},
    )
    first = rig.supervise()
    rig.spawn("toast", work_id)
    [nudge] = wait_for(lambda: rig.events("supervisor.recovery_started"), timeout=20)
    assert nudge.data["strategy"] == "nudge"
    rig.kill(first, signal.SIGKILL)  # the nudge attempt is still awaiting verification
    assert [a["outcome"] for a in attempts(rig, "toast")] == ["pending"]

    rig.supervise()
    second = rig.incarnation_ready("toast", 2)
    wait_for(lambda: "● unstuck" in rig.transcript("toast"), timeout=20)
    wait_for(lambda: [a["outcome"] for a in attempts(rig, "toast")] == ["failure", "success"])
    assert [a["strategy"] for a in attempts(rig, "toast")] == ["nudge", "seance_restart"]
    assert rig.tmux_sessions() == [second.session]
    assert rig.live_rows("toast") == 1
    assert [r["incarnation"] for r in rig.sessions("toast")] == [1, 2]
    assert len(rig.events("supervisor.lock_acquired")) == 2


def test_resume_queue_entries_survive_a_supervisor_restart(rig: Rig) -> None:
    work_id = rig.work("Idle task")  # no task script: the agent waits at its prompt
    first = rig.supervise(env={"BOSUN_SUPERVISOR_RESUME_DRY_RUN": "true"})
    rig.spawn("toast", work_id)
    rig.ok("agent", "send", "toast", "/exit")
    [exited] = wait_for(lambda: rig.events("supervisor.exit_detected", "polecat/toast"))
    assert exited.data["exit_code"] == 0 and exited.data["hook_unfinished"] is True
    assert rig.events("supervisor.crashed_detected") == []
    [entry] = wait_for(lambda: rig.ok("resume-queue", "list"))
    assert (entry["identity"], entry["status"], entry["work_id"]) == (
        "polecat/toast",
        "queued",
        work_id,
    )
    rig.kill(first, signal.SIGTERM)
    assert rig.session("toast").incarnation == 1 and not rig.session("toast").live

    rig.supervise()
    rig.incarnation_ready("toast", 2)
    [revived] = wait_for(
        lambda: [e for e in rig.ok("resume-queue", "list") if e["status"] == "revived"]
    )
    assert revived["id"] == entry["id"]
    assert rig.live_rows("toast") == 1
    assert rig.hook("toast").work_id == work_id


def test_handoff_primes_the_successor_with_the_note(rig: Rig) -> None:
    work_id = rig.work("Handed task", [{"phase": "executing"}, {"work": 0.2}])
    rig.supervise()
    rig.spawn("toast", work_id)
    wait_for(lambda: (rig.hook("toast").checkpoint_note or "").startswith("sim:step=2/2"))

    result = rig.ok("handoff", "polecat", "toast", "--note", "pick up the review comments")
    assert result["session_ended"] is True and result["hook"] == work_id
    rig.incarnation_ready("toast", 2)
    wait_for(
        lambda: "● resumption: pick up the review comments" in rig.transcript("toast"),
        what="the successor primed with the note",
    )
    hook = rig.hook("toast")
    assert hook.resumption == "pick up the review comments"
    assert (hook.checkpoint_note or "").startswith("sim:step=2/2")  # the agent's note is kept
    started_evs = rig.events("supervisor.recovery_started", "polecat/toast")
    assert started_evs and {e.data["condition"] for e in started_evs} == {"handoff_requested"}
    assert rig.live_rows("toast") == 1
    assert rig.events("supervisor.crashed_detected") == []
    assert rig.ok("signal", "list", "--type", "HANDOFF_REQUESTED", "--unread") == []


def test_an_operator_stop_is_not_restarted(rig: Rig) -> None:
    work_id = rig.work("Stopped task", [{"phase": "executing"}, {"work": 30}])
    rig.supervise()
    rig.spawn("toast", work_id)
    wait_for(lambda: rig.hook("toast").phase == "executing")
    rig.ok("agent", "stop", "toast")
    mark = rig.last_event_id()
    # Several ticks later nothing was restarted or detected.
    wait_for(lambda: len(rig.events("supervisor.", since=mark)) == 0 and _ticks(rig, 5))
    assert rig.events("supervisor.crashed_detected") == []
    assert rig.session("toast").incarnation == 1 and rig.live_rows("toast") == 0
    assert rig.ok("resume-queue", "list") == []


def test_an_operator_restart_is_not_taken_for_a_crash(rig: Rig) -> None:
    """The supervisor acts on an exit event at once (no settle wait): a restart records
    the old session's end before it stops the process, so the exit is no crash."""
    work_id = rig.work("Restarted task", [{"phase": "executing"}, {"work": 30}])
    rig.supervise()
    rig.spawn("toast", work_id)
    wait_for(lambda: rig.hook("toast").phase == "executing")
    rig.ok("agent", "restart", "toast")
    _ticks(rig, 5)
    assert rig.events("supervisor.crashed_detected") == []
    assert rig.events("supervisor.recovery_started") == []
    assert rig.session("toast").incarnation == 2 and rig.live_rows("toast") == 1


def _ticks(rig: Rig, n: int) -> bool:
    """True once the supervisor reported `n` more guard ticks (waits for them)."""
    import bosun.supervisor.guards as guards

    def last() -> float:
        with rig.ctx.store.transaction(write=False) as tx:
            return max(float(r["last_tick"]) for r in tx.all("guard_reports_all"))

    start = last()
    wait_for(lambda: last() >= start + n * 0.2, timeout=15)
    assert guards  # imported for its queries
    return True


def test_tmux_server_death_counts_as_every_session_crashing(rig: Rig) -> None:
    work_id = rig.work("Task A", [{"phase": "executing"}, {"work": 30}])
    other = rig.work("Task B", [{"phase": "executing"}, {"work": 30}])
    rig.supervise()
    rig.spawn("toast", work_id)
    rig.spawn("crumb", other)
    rig.tmux("kill-server")
    rig.incarnation_ready("toast", 2)
    rig.incarnation_ready("crumb", 2)
    crashed = {e.subject for e in rig.events("supervisor.crashed_detected")}
    assert crashed == {"polecat/toast", "polecat/crumb"}
    assert sorted(rig.tmux_sessions()) == ["bosun-polecat-crumb", "bosun-polecat-toast"]
    assert rig.live_rows("toast") == 1 and rig.live_rows("crumb") == 1
    assert json.dumps(rig.ok("status")["agent_counts"]) == json.dumps({"active": 2})
