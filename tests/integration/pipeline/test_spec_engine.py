"""Conformance with the Attractor spec's engine and handlers (§3.2, §3.7, §4.x, §5.3, §8.5,
§9.2), with real tool processes. Each test names its section."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from pipeline_helpers import FakeSleep, events, graph, names, options, run, tool

from bosun.base.clock import FakeClock
from bosun.pipeline.handlers.agent import AgentNode
from bosun.pipeline.handlers.base import HandlerContext
from bosun.pipeline.handlers.human import write_answer
from bosun.pipeline.handlers.registry import default_registry
from bosun.pipeline.outcomes import Outcome, success
from bosun.pipeline.runs import run_status, waiting_gate
from waiting import wait_for


class EchoAgent(AgentNode):
    """A custom agent handler (§4.12): writes the prompt it was given and succeeds."""

    def run(self, hc: HandlerContext) -> Outcome:
        (hc.stage_dir / "prompt.md").write_text(hc.node.prompt or hc.node.label)
        return success(context_updates={f"prompt.{hc.node.id}": hc.node.prompt})


def test_spec_3_2_start_and_exit_found_by_id_and_the_walk_succeeds(tmp_path: Path) -> None:
    text = (
        "digraph { start; exit\n"
        ' a [shape=parallelogram, tool_command="true"]\n'
        " start -> a\n a -> exit }"
    )
    record, base = run(tmp_path, text)
    assert record.status.value == "success"
    ckpt = json.loads((base / "checkpoint.json").read_text())
    assert ckpt["completed_nodes"] == ["start", "a", "exit"]


def test_spec_3_2_a_failure_with_no_edge_ends_the_run_with_fail(tmp_path: Path) -> None:
    text = graph(tool("a", "exit 1"), "start -> a", 'a -> exit [condition="outcome=success"]')
    record, _ = run(tmp_path, text)
    assert record.status.value == "fail"


def test_spec_3_7_a_fail_edge_is_followed(tmp_path: Path) -> None:
    text = graph(
        tool("a", "exit 1"),
        tool("cleanup", "true"),
        "start -> a",
        'a -> exit [condition="outcome=success"]',
        'a -> cleanup [condition="outcome=fail"]',
        "cleanup -> exit",
    )
    record, base = run(tmp_path, text)
    ckpt = json.loads((base / "checkpoint.json").read_text())
    assert ckpt["completed_nodes"] == ["start", "a", "cleanup", "exit"]
    assert record.status.value == "success"  # §3.2: only goal gates stop an exit


def test_spec_4_10_tool_output_lands_in_the_context(tmp_path: Path) -> None:
    _, base = run(tmp_path, graph(tool("a", "echo hi"), "start -> a -> exit"))
    ctx = json.loads((base / "checkpoint.json").read_text())["context"]
    assert ctx["tool.output"] == "hi\n"


def test_spec_5_3_checkpoint_logs_one_line_per_stage(tmp_path: Path) -> None:
    _, base = run(tmp_path, graph(tool("a", "true"), "start -> a -> exit"))
    logs = json.loads((base / "checkpoint.json").read_text())["logs"]
    assert [line.split()[1:] for line in logs] == [
        ["start", "success"],
        ["a", "success"],
        ["exit", "success"],
    ]


def _gate_graph(extra: str = "") -> str:
    return graph(
        f'review_gate [shape=hexagon, label="Review Changes"{extra}]',
        tool("ship_it", "true"),
        tool("fixes", "true"),
        "start -> review_gate",
        'review_gate -> ship_it [label="[A] Approve"]',
        'review_gate -> fixes [label="[F] Fix"]',
        "ship_it -> exit",
        "fixes -> exit",
    )


def test_spec_4_6_an_accelerator_key_answer_routes_to_its_edge(tmp_path: Path) -> None:
    opts = options(tmp_path)
    write_answer(opts.runs_dir / "r1", "review_gate", "F")
    record, base = run(tmp_path, _gate_graph(), opts=opts)
    ckpt = json.loads((base / "checkpoint.json").read_text())
    assert ckpt["completed_nodes"] == ["start", "review_gate", "fixes", "exit"]
    assert ckpt["context"]["human.gate.selected"] == "F"
    assert record.status.value == "success"


def test_spec_4_6_an_unmatched_answer_falls_back_to_the_first_choice(tmp_path: Path) -> None:
    opts = options(tmp_path)
    write_answer(opts.runs_dir / "r1", "review_gate", "perhaps")
    _, base = run(tmp_path, _gate_graph(), opts=opts)
    ckpt = json.loads((base / "checkpoint.json").read_text())
    assert ckpt["completed_nodes"] == ["start", "review_gate", "ship_it", "exit"]
    answered = [e for e in events(base) if e["event"] == "human_answered"]
    assert answered[0]["matched"] is False


def test_spec_4_6_timeout_without_default_is_retry_and_a_failed_gate_stops(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    text = _gate_graph(', human.timeout="1m", max_retries=1')
    record, base = run(tmp_path, text, clock=clock, sleep=FakeSleep(clock))
    assert record.status.value == "fail"  # not down an unconditional edge to ship_it
    attempts = [e for e in events(base) if e["event"] == "stage_attempt_end"]
    gate = [e["status"] for e in attempts if e["node_id"] == "review_gate"]
    assert gate == ["retry", "retry"]  # asked again within max_retries, then failed
    ckpt = json.loads((base / "checkpoint.json").read_text())
    assert "ship_it" not in ckpt["completed_nodes"]


def test_spec_4_6_a_waiting_gate_is_visible_to_status_views(tmp_path: Path) -> None:
    opts = options(tmp_path)
    result: dict[str, object] = {}
    graph_file = tmp_path / "g.dot"
    graph_file.write_text(_gate_graph())

    def go() -> None:
        from bosun.pipeline.launch import start_run

        result["record"] = start_run(graph_file, opts, "r1")

    thread = threading.Thread(target=go)
    thread.start()
    base = opts.runs_dir / "r1"
    try:
        wait_for(lambda: waiting_gate(base) is not None, timeout=20)
        gate = run_status(base)["waiting_for_human"]
        assert gate["node_id"] == "review_gate"
        assert gate["question"] == "Review Changes"
        assert gate["choices"] == ["[A] Approve", "[F] Fix"]
        assert gate["keys"] == ["A", "F"]
    finally:
        write_answer(base, "review_gate", "A")
        thread.join(30)
    assert waiting_gate(base) is None
    assert "human_answered" in names(base)


def test_spec_9_2_prompt_file_becomes_the_prompt_and_models_are_in_the_manifest(
    tmp_path: Path,
) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "plan.md").write_text("Plan the feature carefully.\n")
    registry = default_registry()
    registry.register(AgentNode.name, EchoAgent())
    text = graph(
        'plan [prompt_file="prompts/plan.md", class="code"]',
        'critical_review [label="Critical Review"]',
        "start -> plan -> critical_review -> exit",
        attrs=(
            'model_stylesheet="* { llm_model: claude-sonnet-4-5; llm_provider: anthropic; }'
            " .code { llm_model: claude-opus-4-6; }"
            " #critical_review { llm_model: gpt-5.2; llm_provider: openai;"
            ' reasoning_effort: high; }"'
        ),
    )
    record, base = run(tmp_path, text, registry=registry)
    assert record.status.value == "success"
    assert (base / "plan" / "prompt.md").read_text() == "Plan the feature carefully.\n"
    assert (base / "critical_review" / "prompt.md").read_text() == "Critical Review"
    models = json.loads((base / "manifest.json").read_text())["models"]
    assert (models["plan"]["llm_provider"], models["plan"]["llm_model"]) == (
        "anthropic",
        "claude-opus-4-6",
    )
    assert models["critical_review"]["reasoning_effort"] == "high"
    assert models["critical_review"]["llm_model_source"] == "stylesheet"


def test_spec_4_3_4_4_start_and_exit_handlers_succeed(tmp_path: Path) -> None:
    _, base = run(tmp_path, graph("start -> exit"))
    outcomes = json.loads((base / "checkpoint.json").read_text())["last_outcomes"]
    assert outcomes["start"]["status"] == "success" and outcomes["exit"]["status"] == "success"


def test_spec_4_7_a_conditional_node_routes_on_the_outcome_before_it(tmp_path: Path) -> None:
    text = graph(
        tool("a", "exit 1"),
        "gate [shape=diamond]",
        tool("fix", "true"),
        "start -> a -> gate",
        'gate -> exit [condition="outcome=success"]',
        'gate -> fix [condition="outcome!=success"]',
        "fix -> exit",
    )
    _, base = run(tmp_path, text)
    completed = json.loads((base / "checkpoint.json").read_text())["completed_nodes"]
    assert completed == ["start", "a", "gate", "fix", "exit"]


def test_spec_4_8_4_9_parallel_wait_all_then_fan_in_picks_the_best(tmp_path: Path) -> None:
    text = graph(
        "fan [shape=component]",
        tool("b1", "true"),
        tool("b2", "exit 1"),
        "join [shape=tripleoctagon]",
        "start -> fan",
        "fan -> b1 -> join",
        "fan -> b2 -> join",
        "join -> exit",
    )
    record, base = run(tmp_path, text)
    ctx = json.loads((base / "checkpoint.json").read_text())["context"]
    assert ctx["parallel.outcome"] == "partial_success"  # §4.8 wait_all with a failure
    assert ctx["parallel.fan_in.best_id"] == "b1"
    assert record.status.value == "success"


def test_spec_4_10_a_tool_node_without_command_is_refused(tmp_path: Path) -> None:
    import pytest

    from bosun.pipeline.launch import RunRefused

    with pytest.raises(RunRefused, match="tool_command"):
        run(tmp_path, graph("t [shape=parallelogram]", "start -> t -> exit"))


def test_spec_3_5_3_6_retries_run_max_retries_plus_one_times_with_backoff(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock)
    text = graph(
        tool("a", "exit 1", "max_retries=2"),
        "start -> a",
        'a -> exit [condition="outcome=success"]',
    )
    record, base = run(tmp_path, text, clock=clock, sleep=sleep)
    assert record.status.value == "fail"
    assert [e["attempt"] for e in events(base) if e["event"] == "stage_attempt_end"][-3:] == [
        1,
        2,
        3,
    ]
    assert len(sleep.calls) == 2 and 0.1 <= sleep.calls[0] <= 0.3  # 200 ms × jitter


def test_spec_3_8_branches_get_a_copy_of_the_context(tmp_path: Path) -> None:
    setter = (
        """echo '{"status": "success", "context_updates": {"branch.mark": "x"}}'"""
        ' > "$BOSUN_STAGE_STATUS_PATH"'
    )
    text = graph(
        "fan [shape=component]",
        tool("b1", setter),
        tool("b2", "true"),
        "join [shape=tripleoctagon]",
        "start -> fan",
        "fan -> b1 -> join",
        "fan -> b2 -> join",
        "join -> exit",
    )
    _, base = run(tmp_path, text)
    ctx = json.loads((base / "checkpoint.json").read_text())["context"]
    assert "branch.mark" not in ctx  # branch context changes are not merged back


def test_spec_4_12_a_custom_handler_registered_for_a_type_runs_it(tmp_path: Path) -> None:
    registry = default_registry()
    registry.register(AgentNode.name, EchoAgent())
    record, base = run(
        tmp_path, graph('a [prompt="hello $goal"]', "start -> a -> exit"), registry=registry
    )
    assert record.status.value == "success"
    assert (base / "a" / "prompt.md").read_text() == "hello $goal"
