"""Validation rules, one by one."""

from __future__ import annotations

from bosun.pipeline.dot import parse_dot
from bosun.pipeline.validate import Severity, validate

OK = """digraph {
  start [shape=Mdiamond]
  t [shape=parallelogram, tool_command="true"]
  exit [shape=Msquare]
  start -> t
  t -> exit [condition="outcome=success"]
  t -> exit [condition="outcome=fail"]
}"""


def rules(text: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for d in validate(parse_dot(text)):
        found.setdefault(d.rule, []).append(d)
    return found


def test_a_sound_graph_has_no_diagnostics() -> None:
    assert validate(parse_dot(OK)) == []


def test_start_node_exactly_one() -> None:
    assert "start_node" in rules("digraph { exit [shape=Msquare] }")
    two = rules(OK.replace("exit [shape=Msquare]", "exit [shape=Msquare]; s2 [shape=Mdiamond]"))
    assert two["start_node"][0].severity is Severity.ERROR


def test_terminal_node_required() -> None:
    found = rules(
        'digraph { start [shape=Mdiamond]; t [shape=parallelogram, tool_command="x"]; start -> t }'
    )
    assert found["terminal_node"][0].severity is Severity.ERROR


def test_a_node_named_only_by_an_edge_exists_spec_2_13_review() -> None:
    found = rules(
        OK.replace("start -> t", 'start -> t\n  t -> tt [condition="outcome=retry"]\n  tt -> exit')
    )
    assert "edge_target_exists" not in found


def test_edge_target_must_exist_in_a_built_graph() -> None:
    from bosun.pipeline.graph import Edge, build_graph

    g = parse_dot(OK)
    built = build_graph("g", {}, g.nodes.values(), [*g.edges, Edge("start", "nowhere", {}, 99)])
    found = [d for d in validate(built) if d.rule == "edge_target_exists"]
    assert found[0].edge == ("start", "nowhere") and found[0].severity is Severity.ERROR


def test_start_no_incoming_and_exit_no_outgoing() -> None:
    found = rules(OK.replace("start -> t", "start -> t\n  t -> start\n  exit -> t"))
    assert found["start_no_incoming"][0].edge == ("t", "start")
    assert found["exit_no_outgoing"][0].edge == ("exit", "t")


def test_reachability() -> None:
    found = rules(
        OK.replace(
            "exit [shape=Msquare]",
            "exit [shape=Msquare]\n  lonely [shape=parallelogram, "
            'tool_command="true"]\n  lonely -> exit [condition="outcome=success"]',
        )
    )
    assert found["reachability"][0].node_id == "lonely"


def test_a_cycle_without_an_exit_is_an_error() -> None:
    found = rules(
        OK.replace(
            "start -> t",
            'start -> t\n  t -> loop [condition="outcome=retry"]\n'
            '  loop [shape=parallelogram, tool_command="true"]\n  loop -> loop2\n'
            '  loop2 [shape=parallelogram, tool_command="true"]\n  loop2 -> loop',
        )
    )
    assert {d.node_id for d in found["exit_reachable"]} == {"loop", "loop2"}


def test_condition_syntax() -> None:
    found = rules(OK.replace('condition="outcome=fail"', 'condition="outcome > 3"'))
    assert found["condition_syntax"][0].severity is Severity.ERROR


def test_tool_nodes_need_a_command_and_empty_is_not_one() -> None:
    found = rules(OK.replace('tool_command="true"', 'tool_command="  "'))
    assert found["tool_command_required"][0].node_id == "t"


def test_agent_nodes_without_prompt_or_label_warn_spec_7_2_prompt_on_llm_nodes() -> None:
    found = rules(OK.replace('t [shape=parallelogram, tool_command="true"]', "t"))
    assert found["prompt_on_llm_nodes"][0].node_id == "t"
    assert found["prompt_on_llm_nodes"][0].severity is Severity.WARNING
    for attrs in ('t [prompt="do it"]', 't [label="Do it"]'):
        assert "prompt_on_llm_nodes" not in rules(
            OK.replace('t [shape=parallelogram, tool_command="true"]', attrs)
        )


def test_terminal_condition_edge_from_a_node_that_can_fail() -> None:
    found = rules(OK.replace('t -> exit [condition="outcome=success"]', "t -> exit"))
    assert found["terminal_condition_edge"][0].edge == ("t", "exit")
    assert found["terminal_condition_edge"][0].severity is Severity.WARNING
    assert "terminal_condition_edge" not in rules(OK)  # start -> t is not into an exit


def test_unparsable_timeout() -> None:
    found = rules(OK.replace('tool_command="true"', 'tool_command="true", timeout="soon"'))
    assert found["duration_syntax"][0].severity is Severity.ERROR


def test_unknown_attributes_are_warnings() -> None:
    found = rules(
        OK.replace('tool_command="true"', 'tool_command="true", tool_comand="x"').replace(
            "digraph {", "digraph { colour=red;"
        )
    )
    assert {d.severity for d in found["unknown_attribute"]} == {Severity.WARNING}
    assert len(found["unknown_attribute"]) == 2


def test_unknown_type_is_a_warning() -> None:
    found = rules(OK.replace('tool_command="true"', 'tool_command="true", type="magic"'))
    assert found["type_known"][0].severity is Severity.WARNING


def test_retry_target_missing_and_goal_gate_without_retry_are_warnings() -> None:
    found = rules(
        OK.replace(
            'tool_command="true"', 'tool_command="true", retry_target="nowhere", goal_gate=true'
        )
    )
    assert found["retry_target_exists"][0].severity is Severity.WARNING
    gate = rules(OK.replace('tool_command="true"', 'tool_command="true", goal_gate=true'))
    assert gate["goal_gate_has_retry"][0].severity is Severity.WARNING


def test_loop_restart_without_a_transient_guard_is_a_warning() -> None:
    text = OK.replace(
        't -> exit [condition="outcome=fail"]',
        't -> t2 [condition="outcome=fail", loop_restart=true]\n'
        '  t2 [shape=parallelogram, tool_command="true"]\n'
        '  t2 -> exit [condition="outcome=success"]\n'
        '  t2 -> exit [condition="outcome=fail"]',
    )
    assert rules(text)["loop_restart_failure_class_guard"][0].severity is Severity.WARNING
    guarded = text.replace(
        'condition="outcome=fail", loop_restart=true',
        'condition="outcome=fail && failure_class=transient_infra", loop_restart=true',
    )
    assert "loop_restart_failure_class_guard" not in rules(guarded)


def test_diagnostics_serialise_with_rule_severity_message_node_edge_fix() -> None:
    d = validate(parse_dot(OK.replace('tool_command="true"', 'tool_command=""')))[0]
    data = d.to_json()
    assert set(data) >= {"rule", "severity", "message", "node_id", "edge", "fix"}
    assert data["node_id"] == "t" and data["severity"] == "error"


def test_bosuns_own_attributes_are_not_unknown() -> None:
    text = OK.replace("digraph {", 'digraph { runtime="sim"; merge_target="main"').replace(
        "exit [shape=Msquare]",
        'exit [shape=Msquare]\n  a [prompt="x", runtime="sim", merge_target="main"]\n'
        '  t -> a [condition="outcome=retry"]\n  a -> exit',
    )
    assert "unknown_attribute" not in rules(text)
