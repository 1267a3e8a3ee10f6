"""The engine with real tool processes: outcomes, routing, retries on a fake clock, goal
gates, human gates, agent nodes, and the run directory files."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline_helpers import FakeSleep, events, final, graph, names, options, run, tool

from bosun.base.clock import FakeClock
from bosun.pipeline.handlers.human import write_answer
from bosun.pipeline.retry import Backoff, backoff_delay

OK = graph(
    tool("a", "echo hello; echo oops >&2"),
    "start -> a",
    'a -> exit [condition="outcome=success"]',
    'a -> exit [condition="outcome=fail"]',
)


def test_a_successful_run_writes_every_run_file(tmp_path: Path) -> None:
    record, base = run(tmp_path, OK)
    assert record.status.value == "success"
    data = final(base)
    assert set(data) >= {
        "status",
        "run_id",
        "started_at",
        "finished_at",
        "failure_reason",
        "final_node",
        "restart_count",
    }
    assert (data["status"], data["run_id"], data["final_node"], data["restart_count"]) == (
        "success",
        "r1",
        "exit",
        0,
    )
    for name in ("manifest.json", "graph.dot", "checkpoint.json", "progress.ndjson"):
        assert (base / name).is_file(), name
    assert (base / "a" / "stdout.log").read_text() == "hello\n"
    assert (base / "a" / "stderr.log").read_text() == "oops\n"
    assert json.loads((base / "a" / "status.json").read_text())["status"] == "success"
    evs = events(base)
    assert all({"event", "id", "run_id", "ts"} <= set(e) for e in evs)
    assert all(len(e["id"]) == 8 for e in evs)
    assert evs[-1]["event"] == "run_completed"
    checkpoint = json.loads((base / "checkpoint.json").read_text())
    assert checkpoint["completed_nodes"] == ["start", "a", "exit"]
    assert checkpoint["context"]["tool.output"] == "hello\n"
    assert checkpoint["context"]["tool.exit_status"] == 0
    assert checkpoint["context"]["graph.goal"] if "goal" in checkpoint["context"] else True
    assert Path(checkpoint["logs_root"]).is_absolute()


def test_every_edge_decision_is_logged_with_its_method(tmp_path: Path) -> None:
    _, base = run(tmp_path, OK)
    selected = [e for e in events(base) if e["event"] == "edge_selected"]
    assert [(e["node_id"], e["method"]) for e in selected] == [
        ("start", "only_edge"),
        ("a", "condition_match"),
    ]
    assert selected[1]["conditions"][0] == {
        "edge": "a->exit",
        "condition": "outcome=success",
        "matched": True,
    }


def test_spec_3_2_reaching_an_exit_after_a_failed_stage_succeeds_unless_the_graph_asks(
    tmp_path: Path,
) -> None:
    text = OK.replace("echo hello; echo oops >&2", "exit 3")
    record, base = run(tmp_path, text)
    assert record.status.value == "success"  # the spec's rule: only goal gates stop an exit
    assert "completed_after_failed_stages" in names(base)
    strict = text.replace("digraph G {", "digraph G { failed_stages_at_exit=fail")
    record, base = run(tmp_path, strict, run_id="r2")
    assert record.status.value == "fail"
    assert "reached the end after failed stages" in final(base)["failure_reason"]
    assert "exited with status 3" in final(base)["failure_reason"]
    allowed = text.replace("digraph G {", "digraph G { allow_completed_with_failures=true")
    record, base = run(tmp_path, allowed, run_id="r3")
    assert record.status.value == "completed_with_failures"
    marked = text.replace(
        "digraph G {", "digraph G { failed_stages_at_exit=completed_with_failures"
    )
    record, base = run(tmp_path, marked, run_id="r4")
    assert record.status.value == "completed_with_failures"


def test_a_failure_with_no_edge_and_no_retry_target_fails_the_run(tmp_path: Path) -> None:
    text = graph(tool("a", "exit 1"), "start -> a", 'a -> exit [condition="outcome=success"]')
    record, base = run(tmp_path, text)
    assert record.status.value == "fail"
    assert final(base)["failure_reason"].startswith("stage a failed: tool_command exited")
    assert final(base)["final_node"] == "a"


def test_retries_back_off_on_the_fake_clock_without_sleeping(tmp_path: Path) -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock)
    counter = tmp_path / "ws" / "count"
    cmd = f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; [ $n -ge 3 ]"
    text = graph(
        tool("a", cmd, "max_retries=4"),
        "start -> a",
        'a -> exit [condition="outcome=success"]',
        'a -> exit [condition="outcome=fail"]',
    )
    record, base = run(tmp_path, text, clock=clock, sleep=sleep)
    assert record.status.value == "success"
    policy = Backoff()
    assert sleep.calls == [backoff_delay("r1", "a", n, policy) for n in (1, 2)]
    assert names(base).count("stage_retry_sleep") == 2
    assert (base / "a" / "attempt_1" / "tool_invocation.json").exists()
    assert json.loads((base / "a" / "status.json").read_text())["attempts"] == 3


def test_graph_default_max_retries_applies_and_exhaustion_fails(tmp_path: Path) -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock)
    text = graph(
        tool("a", "false"),
        "start -> a",
        'a -> exit [condition="outcome=success"]',
        attrs="default_max_retries=2",
    )
    record, _ = run(tmp_path, text, clock=clock, sleep=sleep)
    assert record.status.value == "fail"
    assert len(sleep.calls) == 2


def test_an_agent_node_without_a_runtime_fails_clearly_and_is_not_retried(tmp_path: Path) -> None:
    text = graph(
        'a [prompt="write code", max_retries=3]',
        "start -> a",
        'a -> exit [condition="outcome=success"]',
    )
    record, base = run(tmp_path, text)
    assert record.status.value == "fail"
    assert "no agent runtime configured" in record.failure_reason
    assert names(base).count("stage_attempt_start") == 2  # start + one attempt


def test_custom_outcomes_route_without_retry(tmp_path: Path) -> None:
    report = """echo '{"status": "needs_fix"}' > "$BOSUN_STAGE_STATUS_PATH" """
    text = graph(
        tool("a", report, "max_retries=3"),
        tool("fix", "true"),
        "start -> a",
        'a -> fix [condition="outcome=needs_fix"]',
        'a -> exit [condition="outcome=success"]',
        'fix -> exit [condition="outcome=success"]',
    )
    record, base = run(tmp_path, text)
    assert record.status.value == "success"
    assert json.loads((base / "checkpoint.json").read_text())["completed_nodes"] == [
        "start",
        "a",
        "fix",
        "exit",
    ]


def test_goal_gate_sends_the_run_back_until_satisfied(tmp_path: Path) -> None:
    marker = tmp_path / "ws" / "second"
    gate = f"if [ -f {marker} ]; then exit 0; else touch {marker}; exit 1; fi"
    text = graph(
        tool("work", "true"),
        tool("gate", gate, "goal_gate=true, retry_target=work"),
        "start -> work",
        'work -> gate [condition="outcome=success"]',
        'work -> exit [condition="outcome=fail"]',
        'gate -> exit [condition="outcome=success"]',
        'gate -> exit [condition="outcome=fail"]',
    )
    record, base = run(tmp_path, text)
    assert record.status.value == "success"
    assert names(base).count("goal_gate_retry") == 1
    completed = json.loads((base / "checkpoint.json").read_text())["completed_nodes"]
    assert completed == ["start", "work", "gate", "work", "gate", "exit"]


def test_an_unsatisfiable_goal_gate_is_bounded_and_fails(tmp_path: Path) -> None:
    text = graph(
        tool("work", "true"),
        tool("gate", "exit 1", "goal_gate=true"),
        "start -> work",
        'work -> gate [condition="outcome=success"]',
        'work -> exit [condition="outcome=fail"]',
        'gate -> exit [condition="outcome=success"]',
        'gate -> exit [condition="outcome=fail"]',
        attrs="retry_target=work; max_goal_gate_retries=2",
    )
    record, base = run(tmp_path, text)
    assert record.status.value == "fail"
    assert "goal gate unsatisfied: gate (2 gate retries used)" in record.failure_reason
    assert names(base).count("goal_gate_retry") == 2


def test_a_goal_gate_without_retry_target_fails_at_the_exit(tmp_path: Path) -> None:
    text = graph(
        tool("gate", "exit 1", "goal_gate=true"),
        "start -> gate",
        'gate -> exit [condition="outcome=success"]',
        'gate -> exit [condition="outcome=fail"]',
    )
    record, _ = run(tmp_path, text)
    assert record.status.value == "fail"
    assert "no retry target" in record.failure_reason


def test_failure_routes_to_the_retry_target_chain(tmp_path: Path) -> None:
    marker = tmp_path / "ws" / "fixed"
    text = graph(
        tool("fix", f"touch {marker}"),
        tool("a", f"test -f {marker}", "fallback_retry_target=fix"),
        "start -> a",
        'a -> exit [condition="outcome=success"]',
        "fix -> a",
    )
    record, base = run(tmp_path, text)
    assert record.status.value == "success"
    assert "no_matching_fail_edge_fallback" in names(base)


def test_max_node_visits_stops_a_runaway_loop(tmp_path: Path) -> None:
    text = graph(
        tool("a", "true"),
        "start -> a",
        'a -> a [condition="outcome=success"]',
        'a -> exit [condition="outcome=fail"]',
        attrs="max_node_visits=3",
    )
    record, _ = run(tmp_path, text)
    assert record.status.value == "fail"
    assert record.failure_reason == "max_node_visits (3) exceeded at a"


def test_human_gate_takes_a_queued_answer(tmp_path: Path) -> None:
    text = graph(
        'ask [shape=hexagon, label="Ship?"]',
        tool("yes", "true"),
        tool("no", "true"),
        "start -> ask",
        'ask -> yes [label="[Y] Yes"]',
        'ask -> no [label="[N] No"]',
        'yes -> exit [condition="outcome=success"]',
        'no -> exit [condition="outcome=success"]',
    )
    opts = options(tmp_path)
    write_answer(opts.runs_dir / "r1", "ask", "no")
    record, base = run(tmp_path, text, opts=opts)
    assert record.status.value == "success"
    ckpt = json.loads((base / "checkpoint.json").read_text())
    assert ckpt["completed_nodes"] == ["start", "ask", "no", "exit"]
    assert ckpt["context"]["human.gate.selected"] == "N"  # the accelerator key (§4.6)
    assert ckpt["context"]["human.gate.target"] == "no"
    assert (base / "ask" / "question.json").exists()


def test_human_gate_timeout_uses_the_default_choice_else_fails(tmp_path: Path) -> None:
    clock = FakeClock()
    text = graph(
        'ask [shape=hexagon, human.timeout="15m", human.default_choice="yes"]',
        tool("yes", "true"),
        tool("no", "true"),
        "start -> ask",
        'ask -> yes [label="Yes"]',
        'ask -> no [label="No"]',
        'yes -> exit [condition="outcome=success"]',
        'no -> exit [condition="outcome=success"]',
    )
    sleep = FakeSleep(clock)
    record, _ = run(tmp_path, text, clock=clock, sleep=sleep)
    assert record.status.value == "success"
    assert abs(sum(sleep.calls) - 900) < 1  # 15m is 900 s, not 15 s
    no_default = text.replace(', human.default_choice="yes"', "")
    clock2 = FakeClock()
    record, _ = run(tmp_path, no_default, run_id="r2", clock=clock2, sleep=FakeSleep(clock2))
    assert record.status.value == "fail"
    assert "timed out after 900s" in record.failure_reason
