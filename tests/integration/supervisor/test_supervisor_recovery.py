"""The recovery ladder for real: sim agents in tmux crash, hang and ignore nudges while
`bosun supervise` runs as its own process."""

from __future__ import annotations

from suprig import Rig

from waiting import wait_for


def attempts(rig: Rig, name: str) -> list[dict]:
    with rig.ctx.store.transaction(write=False) as tx:
        rows = tx.all("recovery_attempts_for", role="polecat", name=name, since=0)
    return [dict(r) for r in rows]


def test_a_crash_is_respawned_with_its_hook_and_the_seance_text(rig: Rig) -> None:
    work_id = rig.work(
        "Crash task",
        [{"phase": "executing"}, {"work": 0.5}, {"say": "after the crash"}, {"work": 0.5}],
        faults={"crash_at_step": 3, "exit_code": 7, "once": True},
    )
    rig.supervise()
    rig.spawn("toast", work_id)
    second = rig.incarnation_ready("toast", 2)

    [crash] = wait_for(lambda: rig.events("supervisor.crashed_detected", "polecat/toast"))
    assert crash.data["exit_code"] == 7 and crash.data["incarnation"] == 1
    assert crash.data["exited_at"] is not None
    [started] = rig.events("supervisor.recovery_started", "polecat/toast")
    assert started.data["strategy"] == "seance_restart" and started.data["condition"] == "crashed"
    assert started.data["evidence"]["exit_code"] == 7
    [ended] = [e for e in rig.events("agent.ended", "polecat/toast") if e.data["incarnation"] == 1]
    assert ended.data["exit_code"] == 7

    # The new session got the seance prompt and resumed after the completed steps.
    wait_for(
        lambda: "● after the crash" in rig.transcript("toast"), what="step 3 in the new session"
    )
    transcript = rig.transcript("toast")
    assert "> [bosun seance] You are polecat/toast, incarnation 2" in transcript
    assert "crashed (exit code 7)" in transcript  # how the predecessor ended
    second_run = transcript.split("✻ bosun sim agent")[2]
    assert f'● work: {work_id} "Crash task"' in second_run
    assert "● checkpoint: sim:step=2/4" in second_run
    assert "● skipping 2 completed steps" in second_run
    assert "[bosun seance]" in rig.screen("toast")
    hook = rig.hook("toast")
    assert hook.work_id == work_id and hook.unfinished
    assert second.incarnation == 2 and rig.live_rows("toast") == 1
    assert rig.tmux_sessions().count(second.session) == 1

    [success] = wait_for(lambda: rig.events("supervisor.recovery_success", "polecat/toast"))
    assert success.data["attempt"] == started.data["attempt"]
    [row] = attempts(rig, "toast")
    assert row["outcome"] == "success" and row["strategy"] == "seance_restart"


def test_a_stalled_agent_is_nudged_and_the_nudge_is_verified(rig: Rig) -> None:
    # A long silent step: busy on screen, no heartbeat, no hook change → stalled after 3 s;
    # the agent makes progress (heartbeat + checkpoint) after the nudge, within verify_within.
    work_id = rig.work(
        "Slow task",
        [{"phase": "executing"}, {"work": 5}, {"say": "slow step done"}, {"work": 30}],
    )
    rig.supervise()
    rig.spawn("toast", work_id)

    [stalled] = wait_for(
        lambda: rig.events("supervisor.stalled_detected", "polecat/toast"), timeout=20
    )
    assert stalled.data["screen_state"] == "busy"
    assert stalled.data["quiet_for_s"] >= 3 and stalled.data["stall_after"] == 3
    [started] = wait_for(lambda: rig.events("supervisor.recovery_started", "polecat/toast"))
    assert started.data["strategy"] == "nudge" and started.data["rung"] == 0
    wait_for(
        lambda: "> Run `bosun prime` and continue your hook: Slow task" in rig.transcript("toast"),
        what="the nudge typed into the session",
    )
    [success] = wait_for(
        lambda: rig.events("supervisor.recovery_success", "polecat/toast"), timeout=20
    )
    assert success.data["strategy"] == "nudge"
    assert rig.session("toast").incarnation == 1  # no restart was needed
    assert [a["outcome"] for a in attempts(rig, "toast")] == ["success"]


def test_a_hang_that_ignores_nudges_gets_a_seance_restart_that_is_verified(rig: Rig) -> None:
    work_id = rig.work(
        "Hang task",
        [{"phase": "executing"}, {"work": 0.3}, {"say": "unstuck"}, {"work": 30}],
        faults={"hang_at_step": 3, "ignore_nudges": True, "once": True},
    )
    rig.supervise()
    rig.spawn("toast", work_id)

    rig.incarnation_ready("toast", 2)
    wait_for(lambda: "● unstuck" in rig.transcript("toast"), timeout=20, what="step 3 redone")

    def settled() -> list[dict] | None:
        rows = attempts(rig, "toast")
        return rows if len(rows) == 2 and rows[-1]["outcome"] != "pending" else None

    nudge, restart = wait_for(settled, timeout=20, what="both attempts settled")
    assert (nudge["strategy"], nudge["outcome"], nudge["rung"]) == ("nudge", "failure", 0)
    assert (restart["strategy"], restart["outcome"], restart["rung"]) == (
        "seance_restart",
        "success",
        1,
    )
    failed = rig.events("supervisor.recovery_failure", "polecat/toast")
    assert [e.data["detail"] for e in failed] == ["no progress within verify_within"]
    assert rig.live_rows("toast") == 1
