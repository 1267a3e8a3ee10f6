"""Attractor graphs with agent nodes, end to end with the sim agent: the model stylesheet's
resolved model reaches the agent's session (BOSUN_LLM_*), `prompt_file` is the agent's task,
and a human gate routes on its accelerator key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from chainrig import ChainRig, dot_string, make_rig, report_steps, task_block, wait_until

pytestmark = [pytest.mark.tmux, pytest.mark.slow]


@pytest.fixture
def rig(project: Path, tmux_socket: str) -> Iterator[ChainRig]:
    rig = make_rig(project, tmux_socket)
    try:
        yield rig
    finally:
        rig.close()


def test_stylesheet_model_and_prompt_file_reach_the_sim_agent(rig: ChainRig) -> None:
    steps = [
        {
            "run": "printenv BOSUN_LLM_MODEL BOSUN_LLM_PROVIDER BOSUN_REASONING_EFFORT"
            ' > "$status_path.env"'
        },
        *report_steps({"outcome": "success"}, merge=False),
    ]
    prompts = rig.root.parent / "prompts"
    prompts.mkdir(exist_ok=True)
    (prompts / "implement.md").write_text("Implement it.\n\n" + task_block(steps))
    graph = rig.graph(
        "digraph Pipeline {\n"
        '  graph [goal="Implement feature X", model_stylesheet="'
        "* { llm_model: claude-sonnet-4-5; llm_provider: anthropic; } "
        '.code { llm_model: claude-opus-4-6; reasoning_effort: high; }"]\n'
        "  start [shape=Mdiamond]\n  exit [shape=Msquare]\n"
        '  implement [label="Implement", class="code", runtime="sim", merge="false",'
        ' prompt_file="prompts/implement.md", timeout="45s"]\n'
        "  start -> implement\n"
        '  implement -> exit [condition="outcome=success"]\n}\n'
    )
    result = rig.run("run", str(graph), "--run-id", "r-style", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    base = rig.root / ".bosun/runs/r-style"
    seen = (base / "implement" / "stage_status.json.env").read_text().split()
    assert seen == ["claude-opus-4-6", "anthropic", "high"]
    models = json.loads((base / "manifest.json").read_text())["models"]
    assert models["implement"]["llm_model"] == "claude-opus-4-6"
    report = json.loads((base / "preflight_report.json").read_text())
    assert report["ok"] is True
    assert rig.tmux_sessions() == []


def test_a_human_gate_answered_by_key_routes_an_agent_graph(rig: ChainRig) -> None:
    done = task_block(report_steps({"outcome": "success"}, merge=False))
    graph = rig.graph(
        "digraph Review {\n"
        "  start [shape=Mdiamond]\n  exit [shape=Msquare]\n"
        '  review_gate [shape=hexagon, label="Review Changes"]\n'
        f'  fixes [runtime="sim", merge="false", timeout="45s", prompt={dot_string(done)}]\n'
        "  start -> review_gate\n"
        '  review_gate -> ship_it [label="[A] Approve"]\n'
        '  review_gate -> fixes [label="[F] Fix"]\n'
        '  ship_it [shape=parallelogram, tool_command="true"]\n'
        "  ship_it -> exit\n  fixes -> exit\n}\n"
    )
    launched = rig.launch(graph, "--run-id", "r-gate")
    base = Path(launched["logs_root"])

    def waiting() -> dict[str, object] | None:
        gate = rig.ok("run", "status", "r-gate").get("waiting_for_human")
        return dict(gate) if gate else None

    gate = wait_until(waiting, 60, "the run to wait at review_gate", interval=0.3)
    assert (gate["node_id"], gate["keys"]) == ("review_gate", ["A", "F"])
    text = rig.run("run", "status", "r-gate").stdout
    assert "waiting for a person at review_gate: Review Changes" in text
    status = rig.ok("status")
    assert [g["node_id"] for g in status["waiting_gates"]] == ["review_gate"]
    assert any("waits for a person at review_gate" in line for line in status["attention"])
    rig.ok("run", "answer", "r-gate", "review_gate", "F")
    final = rig.wait_final(base, timeout=90)
    checkpoint = json.loads((base / "checkpoint.json").read_text())
    assert checkpoint["completed_nodes"] == ["start", "review_gate", "fixes", "exit"], final
    assert final["status"] == "success"
