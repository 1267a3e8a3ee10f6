"""Seed 000 epic 5: the layered chain end to end, with real tmux and the sim agent.

A two-node pipeline (an agent node that commits a change, then a validation tool node that
checks it) is launched with `bosun run --detach`. The launcher (layer 0) starts the run
process, the guardian (layer 1); the guardian spawns a runner (layer 2) for the agent node;
the runner registers and launches the orchestrator (layer 3), a sim agent in tmux, whose
task script commits, writes the status file and signals IMPL_COMPLETE and MERGE_READY.
The second test kills the orchestrator mid-node while `bosun supervise` runs.

Run alone: `pytest tests/e2e/test_e2e_resilience.py -v` (well under 60 s).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "chain"))

from chainrig import ChainRig, make_rig, report_steps, task_block, two_node_graph  # noqa: E402

from bosun.chain.names import (  # noqa: E402
    guardian_ref,
    launcher_ref,
    orchestrator_ref,
    runner_ref,
)
from waiting import wait_for  # noqa: E402

pytestmark = [pytest.mark.tmux, pytest.mark.slow]

HELLO = "hello from the orchestrator"
CHECK = f'grep -q "{HELLO}" hello.txt'
ORDERED = ["executing", "impl_complete", "validating", "merge_ready", "merged"]


@pytest.fixture
def rig(project: Path, tmux_socket: str) -> Iterator[ChainRig]:
    rig = make_rig(project, tmux_socket)
    try:
        yield rig
    finally:
        rig.close()  # processes, tmux server, worktrees — also when an assertion failed


def work_steps(seconds: float) -> list[dict]:
    return [
        {"write": {"path": "hello.txt", "content": HELLO + "\n"}},
        {"commit": "add hello.txt"},
        {"work": seconds},
        *report_steps({"outcome": "success", "context_updates": {"impl.files": "hello.txt"}}),
    ]


def layers(run_id: str) -> dict[str, str]:
    return {
        "launcher": launcher_ref(run_id),
        "guardian": guardian_ref(run_id),
        "runner": runner_ref(run_id, "impl"),
        "orchestrator": orchestrator_ref(run_id, "impl"),
    }


def in_order(seen: list[str], wanted: list[str]) -> bool:
    it = iter(seen)
    return all(phase in it for phase in wanted)


def assert_merged_and_clean(rig: ChainRig, run_id: str, refs: dict[str, str]) -> None:
    """The change is on the target (the run branch), and nothing of the node is left."""
    target = f"bosun/run/{run_id}"
    assert rig.git("show", f"{target}:hello.txt") == HELLO
    name = refs["orchestrator"].split("/")[1]
    assert not (rig.root / ".bosun" / "worktrees" / name).exists()
    assert rig.git("branch", "--list", f"bosun/{name}") == ""  # landed, then deleted
    assert rig.tmux_sessions() == []  # the orchestrator was stopped; no orphan
    assert rig.session(refs["orchestrator"]).live is False


def test_two_node_pipeline_runs_through_every_layer(rig: ChainRig) -> None:
    graph = rig.graph(two_node_graph(task_block(work_steps(1.5)), CHECK))
    launched = rig.launch(graph)
    run_id, logs_root = launched["run_id"], launched["logs_root"]
    refs = layers(run_id)

    # 8. heartbeats advance while the run lives (watched, not inferred afterwards)
    first = wait_for(lambda: rig.identity(refs["runner"]), timeout=30, what="the runner")
    guardian_first = rig.identity(refs["guardian"]).last_seen
    wait_for(
        lambda: (
            rig.identity(refs["runner"]).last_seen > first.last_seen
            and rig.identity(refs["guardian"]).last_seen > guardian_first
        ),
        timeout=20,
        what="guardian and runner heartbeats",
    )

    final = rig.wait_final(logs_root)
    assert final["status"] == "success", (final, rig.run_out(logs_root))

    # 3./4. every layer has an identity record, a JSON mirror and a place in `run agents`
    for role, ref in refs.items():
        identity = rig.identity(ref)
        assert identity is not None, ref
        assert identity.initiative == f"run:{run_id}"
        mirror = rig.root / ".bosun" / "state" / "identities" / f"{ref.replace('/', '-')}.json"
        assert json.loads(mirror.read_text())["identity"] == ref, role
        assert rig.events("identity.created", ref), ref
    listed = rig.ok("run", "agents", run_id)
    assert [(a["layer"], a["identity"]) for a in listed] == [
        (0, refs["launcher"]),
        (1, refs["guardian"]),
        (2, refs["runner"]),
        (3, refs["orchestrator"]),
    ]
    assert rig.identity(refs["launcher"]).status == "terminated"
    assert rig.identity(refs["runner"]).status == "terminated"
    assert rig.identity(refs["orchestrator"]).status == "terminated"
    [launched_runner] = rig.events("chain.runner_launched", refs["runner"])
    assert launched_runner.data["pid"] == rig.identity(refs["runner"]).pid
    assert rig.events("agent.launched", refs["orchestrator"])

    # 5. the orchestrator's hook went executing → impl_complete → validating → merge_ready → merged
    hook = rig.hook(refs["orchestrator"])
    phases = [str(h.phase) for h in hook.history]
    assert in_order(phases, ORDERED), phases
    mirror = (
        rig.root / ".bosun" / "state" / "hooks" / f"{refs['orchestrator'].replace('/', '-')}.json"
    )
    assert json.loads(mirror.read_text())["phase"] == "merged"
    assert [e.data["new"] for e in rig.events("hook.phase", refs["orchestrator"])] == ORDERED

    # 6. the signal chain runner → guardian → runner
    chain = [(s.sender, s.to, s.type) for s in rig.signals()]
    runner, guardian = refs["runner"], refs["guardian"]
    expected = [
        (runner, guardian, "NODE_STARTED"),
        (runner, guardian, "IMPL_COMPLETE"),
        (runner, guardian, "MERGE_READY"),
        (guardian, runner, "MERGE_COMPLETE"),
        (runner, guardian, "RUNNER_DONE"),
    ]
    assert [c for c in chain if c in expected] == expected, chain
    assert (refs["orchestrator"], runner, "MERGE_READY") in chain
    assert all(s.acked_at is not None for s in rig.signals() if s.to in (runner, guardian))

    # 7. MERGE_READY → merge queue → MERGE_COMPLETE, and the change is on the target
    [enqueued] = rig.events("merge.enqueued")
    assert enqueued.data["identity"] == guardian
    assert enqueued.data["target"] == f"bosun/run/{run_id}"
    assert rig.events("merge.landed")
    assert ("refinery/merge-queue", guardian, "MERGE_COMPLETE") in chain
    checkpoint = json.loads((Path(logs_root) / "checkpoint.json").read_text())
    assert checkpoint["completed_nodes"] == ["start", "impl", "check", "exit"]
    assert checkpoint["context"]["impl.files"] == "hello.txt"
    assert checkpoint["context"]["merge.commit"]

    # 10. the chain cleaned up after itself
    assert_merged_and_clean(rig, run_id, refs)
    guardian_end = wait_for(
        lambda: rig.identity(guardian).status == "terminated" and rig.identity(guardian),
        timeout=15,
        what="the guardian to record the end of the run",
    )
    assert guardian_end.status_reason == f"run {run_id} ended: success"


def test_a_killed_orchestrator_is_respawned_with_skip_instructions(rig: ChainRig) -> None:
    rig.supervise()
    graph = rig.graph(two_node_graph(task_block(work_steps(2.0)), CHECK))
    launched = rig.launch(graph)
    run_id, logs_root = launched["run_id"], launched["logs_root"]
    refs = layers(run_id)
    orchestrator = refs["orchestrator"]

    def mid_node() -> object:
        hook = rig.hook(orchestrator) if rig.identity(orchestrator) else None
        session = rig.session(orchestrator)
        done = hook is not None and "sim:step=2/" in (hook.checkpoint_note or "")
        return session if done and session is not None and session.live else None

    first = wait_for(mid_node, timeout=30, what="the orchestrator to commit (step 2)")
    assert first.incarnation == 1
    os.kill(first.pid, signal.SIGKILL)  # mid-node: it is in its 2 s work step

    final = rig.wait_final(logs_root)
    assert final["status"] == "success", (final, rig.run_out(logs_root))

    # the supervisor's ladder restarted it with the seance prompt and skip instructions
    [started] = rig.events("supervisor.recovery_started", orchestrator)
    assert started.data["strategy"] == "seance_restart"
    assert rig.session(orchestrator).incarnation == 2
    transcript = rig.transcript(orchestrator)
    assert f"[bosun seance] You are {orchestrator}, incarnation 2" in transcript
    assert "## Already done — skip these" in transcript
    assert "- executing: the work was started" in transcript
    assert "● skipping 2 completed steps" in transcript

    # the runner saw the exit, reported it and the respawn, and the node still finished
    chain = [(s.sender, s.to, s.type) for s in rig.signals()]
    assert (refs["runner"], refs["guardian"], "x-orchestrator-exited") in chain
    assert (refs["runner"], refs["guardian"], "x-orchestrator-respawned") in chain
    [exited] = rig.events("chain.orchestrator_exited", orchestrator)
    assert exited.data["incarnation"] == 1
    phases = [str(h.phase) for h in rig.hook(orchestrator).history]
    assert in_order(phases, ORDERED), phases
    assert_merged_and_clean(rig, run_id, refs)


def kill_the_guardian_mid_node(rig: ChainRig, graph: Path) -> tuple[str, str, dict[str, str]]:
    """Launch detached, wait until the orchestrator works, then kill -9 the run process (the
    guardian); its runner and orchestrator live on in their own sessions."""
    launched = rig.launch(graph)
    run_id, logs_root = launched["run_id"], launched["logs_root"]
    refs = layers(run_id)
    wait_for(
        lambda: (s := rig.session(refs["orchestrator"])) is not None and s.live,
        timeout=30,
        what="the orchestrator session",
    )
    os.kill(launched["pid"], signal.SIGKILL)
    wait_for(lambda: not _alive(launched["pid"]), timeout=10, what="the run process to die")
    assert not (Path(logs_root) / "final.json").exists()
    return run_id, logs_root, refs


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_run_resumed_at_once_after_its_guardian_was_killed_adopts_the_node(
    rig: ChainRig,
) -> None:
    graph = rig.graph(two_node_graph(task_block(work_steps(4.0)), CHECK))
    run_id, logs_root, refs = kill_the_guardian_mid_node(rig, graph)
    orphan = rig.identity(refs["runner"]).pid
    assert _alive(orphan)

    resumed = rig.run("run", "resume", "--logs-root", logs_root, "--json", timeout=90)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr + rig.runner_logs(logs_root)
    final = json.loads((Path(logs_root) / "final.json").read_text())
    assert final["status"] == "success", final

    progress = (Path(logs_root) / "progress.ndjson").read_text()
    assert '"event": "agent_runner_adopted"' in progress
    assert rig.events("chain.runner_launched", refs["runner"]).__len__() == 1  # no second
    assert rig.session(refs["orchestrator"]).incarnation == 1  # the agent was not restarted
    assert not _alive(orphan)
    assert rig.identity(refs["guardian"]).incarnation == 2
    assert_merged_and_clean(rig, run_id, refs)


def test_a_run_resumed_later_drops_the_old_runners_stale_signals_and_finishes_the_node(
    rig: ChainRig,
) -> None:
    graph = rig.graph(two_node_graph(task_block(work_steps(4.0)), CHECK))
    run_id, logs_root, refs = kill_the_guardian_mid_node(rig, graph)
    # the orphaned runner ends before anyone resumes (here: stopped; at the node timeout it
    # does the same) and reports RUNNER_DONE (fail) to a guardian that no longer exists
    os.kill(rig.identity(refs["runner"]).pid, signal.SIGTERM)
    wait_for(
        lambda: any(s.type == "RUNNER_DONE" and s.sender == refs["runner"] for s in rig.signals()),
        timeout=30,
        what="the orphaned runner's RUNNER_DONE",
    )
    wait_for(lambda: not rig.tmux_sessions(), timeout=15, what="the orphan's session to end")

    resumed = rig.run("run", "resume", "--logs-root", logs_root, "--json", timeout=90)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr + rig.runner_logs(logs_root)
    final = json.loads((Path(logs_root) / "final.json").read_text())
    assert final["status"] == "success", final
    dropped = [
        json.loads(line)
        for line in (Path(logs_root) / "progress.ndjson").read_text().splitlines()
        if '"agent_stale_signal_dropped"' in line
    ]
    assert "RUNNER_DONE" in [d["signal"] for d in dropped]
    assert len(rig.events("chain.runner_launched", refs["runner"])) == 2
    assert_merged_and_clean(rig, run_id, refs)


def test_an_agent_node_working_past_the_stall_timeout_without_checkpoints_is_not_failed(
    rig: ChainRig,
) -> None:
    """Its screen, bosun calls and commits show work: the stall watchdog lets it finish."""
    steps = work_steps(22.0)  # one long step: no checkpoint for 22 s
    text = two_node_graph(task_block(steps), CHECK).replace(
        '  goal="', '  stall_timeout="10s"\n  goal="', 1
    )
    launched = rig.launch(rig.graph(text))
    final = rig.wait_final(launched["logs_root"], timeout=90)
    assert final["status"] == "success", (final, rig.run_out(launched["logs_root"]))
    progress = (Path(launched["logs_root"]) / "progress.ndjson").read_text()
    assert "stall_watchdog_timeout" not in progress
