"""The supervisor process as a user runs it: one per project, `bosun stop`, bad config
refused at start, and patrol of idle agents (nudge/response pairs in patrol.jsonl)."""

from __future__ import annotations

import json

from suprig import Rig

from waiting import wait_for


def test_a_second_supervisor_is_refused_naming_the_first_and_stop_ends_it(rig: Rig) -> None:
    first = rig.supervise()
    again = rig.run("supervise", "--no-merge-queue")
    assert again.returncode != 0
    assert f"pid {first.pid}" in again.stderr + again.stdout
    detached = rig.run("supervise", "--detach")
    assert detached.returncode != 0
    assert f"pid {first.pid}" in detached.stderr + detached.stdout
    assert "bosun stop" in detached.stderr + detached.stdout
    status = rig.ok("status")
    assert status["supervisor"]["pid"] == first.pid

    stopped = rig.ok("stop")
    assert stopped == {"pid": first.pid, "stopped": True}
    first.wait(timeout=15)
    assert rig.events("supervisor.stopped")[-1].data["pid"] == first.pid
    status = rig.ok("status")
    assert status["supervisor"] is None
    assert any("no supervisor is running" in line for line in status["attention"])
    assert rig.run("stop").returncode != 0


def test_invalid_config_is_refused_at_start_with_the_key_and_nothing_is_written(
    rig: Rig,
) -> None:
    out = rig.run(
        "supervise",
        "--once",
        env={"BOSUN_SUPERVISOR_CONTEXT_CHECKPOINT_AT": "90"},
    )
    assert out.returncode == 2
    assert "supervisor.context.checkpoint_at" in out.stderr
    assert "checkpoint_at < handoff_at" in out.stderr
    config = rig.root / ".bosun" / "config.toml"
    original = config.read_text()
    config.write_text(original + '\n[supervisor.recovery]\ncrashed = ["reboot"]\n')
    out = rig.run("supervise", "--detach")
    assert out.returncode == 2
    assert "supervisor.recovery.crashed" in out.stderr and "'reboot'" in out.stderr
    assert "seance_restart" in out.stderr  # the allowed values
    assert not (rig.root / ".bosun" / "supervisor.lock").exists()
    config.write_text(original)  # to read the event log in-process
    assert rig.events("supervisor.") == []


def test_patrol_nudges_idle_agents_with_pending_work_only(rig: Rig) -> None:
    idle_work = rig.work("Waiting task")  # no task script: it idles with unfinished work
    done_work = rig.work("Finished task", [{"phase": "executing"}, {"phase": "merge_ready"}])
    fast = {
        "BOSUN_SUPERVISOR_PATROL_INTERVAL": "2",
        "BOSUN_IDENTITY_STALE_AFTER": "2",
    }
    rig.spawn("waiter", idle_work)
    rig.spawn("finisher", done_work)
    wait_for(lambda: str(rig.hook("finisher").phase) == "merge_ready")
    rig.supervise(env=fast)

    [nudged] = wait_for(lambda: rig.events("supervisor.patrol_nudged"), timeout=20)
    assert nudged.subject == "polecat/waiter"
    assert nudged.data["text"].startswith("Run `bosun prime` and continue your hook:")
    [complied] = wait_for(lambda: rig.events("supervisor.patrol_complied"), timeout=20)
    assert complied.data["nudge"] == nudged.data["nudge"]
    assert complied.data["response"] == "complied"
    log = rig.root / ".bosun" / "logs" / "patrol.jsonl"
    pair = wait_for(lambda: log.exists() and json.loads(log.read_text().splitlines()[0]))
    assert (pair["identity"], pair["response"], pair["work_id"]) == (
        "polecat/waiter",
        "complied",
        idle_work,
    )
    assert pair["nudged_at"] and pair["responded_at"]

    # The agent whose work is done is neither nudged nor treated as stale, ever.
    wait_for(lambda: len(rig.events("supervisor.patrol_nudged")) >= 2, timeout=20)
    finisher = "polecat/finisher"
    assert rig.events("supervisor.patrol_nudged", finisher) == []
    assert rig.events("supervisor.stale_detected", finisher) == []
    assert rig.events("supervisor.recovery_started", finisher) == []
    assert rig.session("finisher", "polecat").incarnation == 1


def test_the_supervisor_hosts_the_engines_switched_on_and_stops_them_with_it(rig: Rig) -> None:
    """The CLI hands the supervisor its loops (merge queue, trigger worker, sentinel); each
    runs on its own thread and reports its health as a guard every tick."""
    hosted = ("merge_queue", "trigger_workers", "sentinel")
    proc = rig.supervise(
        env={"BOSUN_TRIGGERS_ENABLED": "true", "BOSUN_SENTINEL_ENABLED": "true"},
        merge_queue=True,
    )

    def reports() -> dict[str, dict[str, object]] | None:
        rows = {g["guard"]: g for g in rig.ok("guards")["guards"]}
        runtime = {name: rows[name]["runtime"] for name in hosted}
        if any(r is None or not r["enabled"] for r in runtime.values()):
            return None
        return {name: rows[name] for name in hosted}

    rows = wait_for(reports, timeout=30, what="the hosted engines to report")
    for name, row in rows.items():
        assert row["posture"] == "on-confirmed", (name, row)
        assert row["runtime"]["error"] is None, (name, row)
    rig.ok("stop")
    proc.wait(timeout=30)
    assert proc.returncode == 0, rig.supervisor_log()
