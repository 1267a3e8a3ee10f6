"""Bad input and faults of the layered chain, for real: a missing runtime preset, an
orchestrator that never reports, a runner that dies, a merge that conflicts — and a runner
started by hand with `bosun spawn-runner`."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from chainrig import ChainRig, dot_string, make_rig, report_steps, task_block, two_node_graph

from bosun.chain.names import guardian_ref, orchestrator_ref, runner_ref
from waiting import wait_for

pytestmark = [pytest.mark.tmux, pytest.mark.slow]


@pytest.fixture
def rig(project: Path, tmux_socket: str) -> Iterator[ChainRig]:
    rig = make_rig(project, tmux_socket)
    try:
        yield rig
    finally:
        rig.close()


def chain_identities(rig: ChainRig) -> list[str]:
    return [i.ref for i in rig.ctx.identities.list() if (i.initiative or "").startswith("run:")]


def test_a_missing_runtime_preset_is_refused_before_anything_is_launched(rig: ChainRig) -> None:
    text = two_node_graph("do it", "true").replace('runtime="sim"', 'runtime="no-such-preset"')
    graph = rig.graph(text)
    result = rig.run("run", str(graph), "--detach", "--run-id", "r-missing")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: preflight: agent node 'impl': unknown runtime preset 'no-such-preset'"
    )
    assert "hint: set runtime=" in result.stderr
    assert not (rig.root / ".bosun" / "runs" / "r-missing").exists()
    assert chain_identities(rig) == [] and rig.tmux_sessions() == []
    assert rig.events("run.launched") == []

    # in the foreground the guardian refuses at the node, before a runner exists
    result = rig.run("run", str(graph), "--run-id", "r-fg", "--json")
    assert result.returncode == 1
    final = json.loads(result.stdout)
    assert "preflight: agent node 'impl': unknown runtime preset" in final["failure_reason"]
    assert chain_identities(rig) == [guardian_ref("r-fg")]
    assert rig.events("chain.runner_launched") == [] and rig.tmux_sessions() == []


def test_an_orchestrator_that_never_reports_fails_at_the_node_timeout(rig: ChainRig) -> None:
    graph = rig.graph(two_node_graph(task_block([{"work": 120}]), "true", timeout="3s"))
    result = rig.run("run", str(graph), "--run-id", "r-silent", "--json")
    assert result.returncode == 1, result.stderr
    final = json.loads(result.stdout)
    orchestrator = orchestrator_ref("r-silent", "impl")
    assert final["failure_reason"] == (
        f"stage impl failed: node timeout: {orchestrator} did not report within 3s"
    )
    assert rig.tmux_sessions() == []  # the session was stopped
    assert rig.session(orchestrator).live is False
    identity = rig.identity(orchestrator)
    assert identity.status == "terminated" and "node timeout" in identity.status_reason
    assert rig.hook(orchestrator).unfinished  # the work stays pinned for a retry
    state = json.loads(
        next((rig.root / ".bosun/runs/r-silent/runners").glob("*-impl.json")).read_text()
    )
    assert state["status"] == "failed"
    assert [h["status"] for h in state["history"]] == ["starting", "launching", "running", "failed"]


def test_a_runner_that_dies_fails_the_node_and_leaves_no_session(rig: ChainRig) -> None:
    graph = rig.graph(two_node_graph(task_block([{"work": 120}]), "true", timeout="60s"))
    launched = rig.launch(graph, "--run-id", "r-dies")
    runner, orchestrator = runner_ref("r-dies", "impl"), orchestrator_ref("r-dies", "impl")
    wait_for(
        lambda: (s := rig.session(orchestrator)) is not None and s.live,
        timeout=30,
        what="the orchestrator session",
    )
    pid = rig.identity(runner).pid
    os.kill(pid, signal.SIGKILL)

    final = rig.wait_final(launched["logs_root"])
    assert final["status"] == "fail"
    assert f"runner {runner} exited with code -9 before reporting" in final["failure_reason"]
    assert rig.identity(runner).status == "crashed"
    assert rig.tmux_sessions() == []  # no orphan orchestrator
    assert rig.identity(orchestrator).status == "terminated"
    [crashed] = rig.events("chain.runner_crashed", runner)
    assert crashed.data["session_stopped"] is True
    state = json.loads(
        (Path(launched["logs_root"]) / "runners" / f"{runner.split('/')[1]}.json").read_text()
    )
    assert state["status"] == "crashed"


def test_merge_failed_routes_the_node_on_fail_with_the_conflicting_files(rig: ChainRig) -> None:
    steps = [
        # someone lands a different conflict.txt on the target while the orchestrator works
        {
            "run": 'cd "$workdir" && printf "theirs\\n" > conflict.txt && git add conflict.txt '
            "&& git commit -qm theirs"
        },
        {"write": {"path": "conflict.txt", "content": "ours\n"}},
        {"commit": "ours"},
        *report_steps({"outcome": "success"}),
    ]
    graph = rig.graph(
        "digraph m {\n"
        "  failed_stages_at_exit=fail\n"
        "  start [shape=Mdiamond]\n  exit [shape=Msquare]\n"
        f'  impl [shape=box, runtime="sim", prompt={dot_string(task_block(steps))}]\n'
        '  report [shape=parallelogram, tool_command="true"]\n'
        '  start -> impl\n  impl -> exit [condition="outcome=success"]\n'
        '  impl -> report [condition="outcome=fail"]\n'
        '  report -> exit [condition="outcome=success"]\n}\n'
    )
    result = rig.run("run", str(graph), "--run-id", "r-conflict", "--json")
    # the fail edge was taken; the graph asks the run to report the failed stage
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["failure_reason"] == (
        "reached the end after failed stages: impl: merge failed: conflict in conflict.txt"
    )
    checkpoint = json.loads((rig.root / ".bosun/runs/r-conflict/checkpoint.json").read_text())
    assert checkpoint["completed_nodes"] == ["start", "impl", "report", "exit"]
    outcome = checkpoint["last_outcomes"]["impl"]
    assert outcome["status"] == "fail"
    assert outcome["failure_reason"] == "merge failed: conflict in conflict.txt"
    assert checkpoint["context"]["merge.conflict_files"] == ["conflict.txt"]
    runner, guardian = runner_ref("r-conflict", "impl"), guardian_ref("r-conflict")
    chain = [(s.sender, s.to, s.type) for s in rig.signals()]
    assert ("refinery/merge-queue", guardian, "MERGE_FAILED") in chain
    assert (guardian, runner, "MERGE_FAILED") in chain
    hook = rig.hook(orchestrator_ref("r-conflict", "impl"))
    assert str(hook.phase) == "executing" and "conflict.txt" in hook.resumption
    branch = f"bosun/{runner.split('/')[1]}"
    assert rig.git("show", f"{branch}:conflict.txt") == "ours"  # the work is kept
    assert rig.tmux_sessions() == []


def test_spawn_runner_starts_a_runner_by_hand(rig: ChainRig) -> None:
    steps = [{"write": {"path": "note.txt", "content": "n\n"}}, {"commit": "note"}]
    steps += report_steps({"outcome": "success"}, merge=False)
    graph = rig.graph(two_node_graph(task_block(steps), "true", node_attrs='merge="false"'))
    result = rig.run("run", str(graph), "--run-id", "r-hand", "--json")
    assert result.returncode == 0, result.stdout + result.stderr

    started = rig.ok(
        "spawn-runner", "--node", "impl", "--run", "r-hand", "--target-dir", str(rig.root)
    )
    runner = runner_ref("r-hand", "impl")
    assert started["runner"] == runner
    assert started["pid"] == rig.identity(runner).pid
    state_file = Path(started["state_file"])

    def done() -> dict | None:
        state = json.loads(state_file.read_text())
        return state if state["status"] in ("done", "failed") else None

    state = wait_for(done, timeout=40, what="the runner to finish")
    assert state["status"] == "done" and state["pid"] == started["pid"], state
    assert state["outcome"]["context_updates"]["agent.orchestrator"] == orchestrator_ref(
        "r-hand", "impl"
    )
    assert rig.tmux_sessions() == []

    bad = rig.run("spawn-runner", "--node", "check", "--run", "r-hand")
    assert bad.returncode == 2 and "not an agent node" in bad.stderr
    bad = rig.run("spawn-runner", "--node", "impl", "--run", "nope")
    assert bad.returncode == 2 and bad.stderr.startswith("error: no run 'nope'")
