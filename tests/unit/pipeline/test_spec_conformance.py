"""Conformance with the Attractor spec, rule by rule, from the spec's text (strongdm/attractor
`attractor-spec.md` at fb57a55): §3.3 edge selection, §3.4/§3.5 gates and retry budgets,
§4.6 human-gate answers, §4.11 the manager loop, §7.2 lint rules, §8 the model stylesheet,
§5.3 the checkpoint. The engine's walk (§3.2, §3.7, §4.x handlers) is pinned by
tests/integration/pipeline/test_spec_engine.py. Each test names its section."""

from __future__ import annotations

import pytest

from bosun.pipeline.dot import parse_dot
from bosun.pipeline.edges import SelectionMethod, normalise_label, select_edge
from bosun.pipeline.gates import ExitPolicy, exit_policy, retry_target, unsatisfied_gates
from bosun.pipeline.graph import Graph
from bosun.pipeline.handlers.human import accelerator_key, match_choice
from bosun.pipeline.outcomes import Outcome
from bosun.pipeline.retry import max_retries
from bosun.pipeline.state import RunState
from bosun.pipeline.stylesheet import (
    StylesheetError,
    parse_stylesheet,
    resolve_model,
)
from bosun.pipeline.validate import Severity, validate


def g(body: str, attrs: str = "") -> Graph:
    return parse_dot(
        "digraph G {\n"
        + attrs
        + "\n start [shape=Mdiamond]\n exit [shape=Msquare]\n"
        + body
        + "\n}"
    )


def rules(graph: Graph) -> dict[str, list[Severity]]:
    found: dict[str, list[Severity]] = {}
    for d in validate(graph):
        found.setdefault(d.rule, []).append(d.severity)
    return found


# -- §3.3 edge selection ----------------------------------------------------------------


def test_spec_3_3_step1_condition_match_beats_everything_best_by_weight_then_target() -> None:
    graph = g(
        'a; b; c; a -> b [condition="outcome=success", weight=1]\n'
        'a -> c [condition="outcome=success", weight=5]\n a -> exit [weight=9]'
    )
    decision = select_edge(graph.outgoing("a"), Outcome("success"), {})
    assert (decision.edge.target, decision.method) == ("c", SelectionMethod.CONDITION_MATCH)


def test_spec_3_3_step2_preferred_label_picks_an_unconditional_edge_only() -> None:
    graph = g(
        'a; b; c\n a -> b [label="Fix", condition="outcome=fail"]\n a -> c [label="Ship"]\n'
        ' a -> exit [label="Fix"]'
    )
    outcome = Outcome("success", preferred_label="[F] Fix")
    decision = select_edge(graph.outgoing("a"), outcome, {})
    # the guarded a->b (condition false) is never taken, though its label matches
    assert (decision.edge.target, decision.method) == ("exit", SelectionMethod.PREFERRED_LABEL)


def test_spec_3_3_step3_suggested_next_ids_pick_an_unconditional_edge_only() -> None:
    graph = g('a; b; c\n a -> b [condition="outcome=fail"]\n a -> c\n a -> exit')
    outcome = Outcome("success", suggested_next_ids=("b", "exit"))
    decision = select_edge(graph.outgoing("a"), outcome, {})
    assert (decision.edge.target, decision.method) == ("exit", SelectionMethod.SUGGESTED_NEXT_IDS)


def test_spec_3_3_step4_highest_weight_among_unconditional_edges() -> None:
    graph = g("a; b; c\n a -> b [weight=1]\n a -> c [weight=2]")
    decision = select_edge(graph.outgoing("a"), Outcome("success"), {})
    assert (decision.edge.target, decision.method) == ("c", SelectionMethod.WEIGHT)


def test_spec_3_3_step5_lexical_tiebreak_on_target_id() -> None:
    graph = g("a; zeta; alpha\n a -> zeta\n a -> alpha")
    decision = select_edge(graph.outgoing("a"), Outcome("success"), {})
    assert (decision.edge.target, decision.method) == ("alpha", SelectionMethod.LEXICAL_TIEBREAK)


def test_spec_3_3_no_edge_when_every_edge_is_conditional_and_none_matches() -> None:
    graph = g('a; b\n a -> b [condition="outcome=fail"]')
    assert select_edge(graph.outgoing("a"), Outcome("success"), {}).edge is None


@pytest.mark.parametrize(
    ("label", "normal"), [("[Y] Yes, deploy", "yes, deploy"), ("Y) Yes", "yes"), ("Y - Yes", "yes")]
)
def test_spec_3_3_label_normalisation_strips_accelerators(label: str, normal: str) -> None:
    assert normalise_label(label) == normal


# -- §3.4 goal gates, §3.5 retry budget -------------------------------------------------


def test_spec_3_4_unsatisfied_gate_and_retry_target_chain() -> None:
    graph = g(
        "a [goal_gate=true, fallback_retry_target=b]; b\n a -> exit",
        attrs="retry_target=a",
    )
    gates = unsatisfied_gates(graph, {"a": Outcome("fail", failure_reason="x")})
    assert gates == ["a"]
    assert retry_target(graph, graph.nodes["a"]) == "b"  # node fallback before the graph's
    assert unsatisfied_gates(graph, {"a": Outcome("partial_success")}) == []


def test_spec_3_5_max_retries_counts_additional_attempts_default_zero() -> None:
    graph = g("a [max_retries=3]; b\n a -> b -> exit")
    assert max_retries(graph.nodes["a"], graph) == 3
    assert max_retries(graph.nodes["b"], graph) == 0
    legacy = g("b\n start -> b -> exit", attrs="default_max_retry=2")
    assert max_retries(legacy.nodes["b"], legacy) == 2


def test_spec_3_2_exit_succeeds_by_default_and_a_graph_may_ask_for_more() -> None:
    assert exit_policy(g("")) is ExitPolicy.SUCCEED
    assert exit_policy(g("", attrs="failed_stages_at_exit=fail")) is ExitPolicy.FAIL
    assert (
        exit_policy(g("", attrs="allow_completed_with_failures=true"))
        is ExitPolicy.COMPLETED_WITH_FAILURES
    )


# -- §4.6 human gate answers ------------------------------------------------------------

CHOICES = [
    {"key": accelerator_key("[A] Approve"), "label": "[A] Approve", "to": "ship_it"},
    {"key": accelerator_key("[F] Fix"), "label": "[F] Fix", "to": "fixes"},
]


@pytest.mark.parametrize(
    ("label", "key"),
    [("[Y] Yes, deploy", "Y"), ("Y) Yes, deploy", "Y"), ("Y - Yes, deploy", "Y"), ("Yes", "Y")],
)
def test_spec_4_6_accelerator_key_parsing(label: str, key: str) -> None:
    assert accelerator_key(label) == key


@pytest.mark.parametrize("answer", ["F", "f", "[F] Fix", "fix", "fixes"])
def test_spec_4_6_an_answer_matches_by_key_label_or_target(answer: str) -> None:
    assert match_choice(answer, CHOICES) == CHOICES[1]


def test_spec_4_6_an_unmatched_answer_matches_nothing_so_the_gate_takes_the_first() -> None:
    assert match_choice("maybe", CHOICES) is None


# -- §4.11 manager loop -----------------------------------------------------------------


def test_spec_4_11_manager_loop_is_refused_not_run_as_an_agent() -> None:
    graph = g('m [shape=house]\n start -> m\n m -> exit [condition="outcome=success"]')
    assert graph.nodes["m"].type == "stack.manager_loop"
    assert rules(graph)["manager_loop_unsupported"] == [Severity.ERROR]


# -- §7.2 lint rules --------------------------------------------------------------------


def test_spec_7_2_start_node_by_shape_or_id() -> None:
    graph = parse_dot("digraph { start; work; exit\n start -> work -> exit }")
    assert [n.id for n in graph.start_nodes] == ["start"]
    assert [n.id for n in graph.exit_nodes] == ["exit"]
    other = parse_dot("digraph { Start; work; end\n Start -> work -> end }")
    assert ([n.id for n in other.start_nodes], [n.id for n in other.exit_nodes]) == (
        ["Start"],
        ["end"],
    )
    assert "start_node" in rules(parse_dot("digraph { a; exit\n a -> exit }"))


def test_spec_7_2_terminal_node_required() -> None:
    assert rules(parse_dot("digraph { start [shape=Mdiamond]; a\n start -> a }"))[
        "terminal_node"
    ] == [Severity.ERROR]


def test_spec_7_2_reachability_start_no_incoming_exit_no_outgoing() -> None:
    found = rules(g("a; lonely\n start -> a -> exit\n lonely -> exit\n a -> start\n exit -> a"))
    assert Severity.ERROR in found["reachability"]
    assert found["start_no_incoming"] == [Severity.ERROR]
    assert found["exit_no_outgoing"] == [Severity.ERROR]


def test_spec_7_2_condition_syntax_is_an_error() -> None:
    found = rules(g('a\n start -> a\n a -> exit [condition="outcome > 1"]\n a -> exit'))
    assert found["condition_syntax"] == [Severity.ERROR]


def test_spec_7_2_stylesheet_syntax_is_an_error() -> None:
    found = rules(g("a\n start -> a -> exit", attrs='model_stylesheet="* { llm_model gpt }"'))
    assert found["stylesheet_syntax"] == [Severity.ERROR]


def test_spec_7_2_type_known_fidelity_valid_retry_target_exists_are_warnings() -> None:
    found = rules(
        g(
            'a [type="nonsense", fidelity="everything", retry_target="nowhere"]\n'
            'start -> a -> exit [fidelity="full"]'
        )
    )
    assert found["type_known"] == [Severity.WARNING]
    assert found["fidelity_valid"] == [Severity.WARNING]
    assert found["retry_target_exists"] == [Severity.WARNING]


def test_spec_7_2_goal_gate_has_retry_and_prompt_on_llm_nodes_are_warnings() -> None:
    found = rules(g("a [goal_gate=true]\n start -> a -> exit"))
    assert found["goal_gate_has_retry"] == [Severity.WARNING]
    assert found["prompt_on_llm_nodes"] == [Severity.WARNING]
    labelled = rules(g('a [label="Do it"]\n start -> a -> exit'))
    assert "prompt_on_llm_nodes" not in labelled


def test_spec_7_1_info_lines_for_attributes_bosun_accepts_but_does_not_use() -> None:
    found = rules(g('a [prompt="x", thread_id="t1", max_agent_turns=5]\n start -> a -> exit'))
    assert found["accepted_not_used"] == [Severity.INFO, Severity.INFO]


def test_spec_2_13_examples_validate_without_errors() -> None:
    simple = g(
        'run_tests [prompt="Run"]; report [prompt="Sum"]\n start -> run_tests -> report -> exit'
    )
    assert Severity.ERROR not in {s for sev in rules(simple).values() for s in sev}


# -- §8 model stylesheet ----------------------------------------------------------------

SHEET = (
    'model_stylesheet="* { llm_model: claude-sonnet-4-5; llm_provider: anthropic; }\n'
    " box { reasoning_effort: low; }\n"
    " .code { llm_model: claude-opus-4-6; }\n"
    " #review { llm_model: gpt-5.2; llm_provider: openai; reasoning_effort: high; }\n"
    ' .code { reasoning_effort: medium; }"'
)


def test_spec_8_3_specificity_id_over_class_over_shape_over_universal() -> None:
    graph = g(
        'plan; impl [class="code"]; review [class="code"]; own [class="code", llm_model="x-1"]\n'
        "start -> plan -> impl -> review -> own -> exit",
        attrs=SHEET + "; llm_provider=google",
    )
    plan = resolve_model(graph, graph.nodes["plan"])
    assert (plan["llm_model"], plan["llm_provider"], plan["reasoning_effort"]) == (
        "claude-sonnet-4-5",
        "anthropic",
        "low",
    )
    impl = resolve_model(graph, graph.nodes["impl"])
    assert (impl["llm_model"], impl["reasoning_effort"]) == ("claude-opus-4-6", "medium")
    review = resolve_model(graph, graph.nodes["review"])
    assert (review["llm_model"], review["llm_provider"], review["reasoning_effort"]) == (
        "gpt-5.2",
        "openai",
        "high",
    )
    own = resolve_model(graph, graph.nodes["own"])
    assert (own["llm_model"], own["llm_model_source"]) == ("x-1", "node")  # §8.5 explicit wins


def test_spec_8_5_graph_attribute_is_the_fallback_and_the_provider_is_inferred() -> None:
    graph = g("a\n start -> a -> exit", attrs="llm_model=gpt-5.4")
    resolved = resolve_model(graph, graph.nodes["a"])
    assert resolved["llm_model"] == "gpt-5.4" and resolved["llm_model_source"] == "graph"
    assert (resolved["llm_provider"], resolved["llm_provider_source"]) == ("openai", "inferred")


def test_spec_8_2_grammar_refuses_unknown_properties_and_selectors() -> None:
    assert [r.selector for r in parse_stylesheet("* { llm_model: a; } #x { llm_provider: b }")] == [
        "*",
        "#x",
    ]
    for bad in ("* { colour: red; }", "a b { llm_model: x; }", "* { llm_model x }", "* {"):
        with pytest.raises(StylesheetError):
            parse_stylesheet(bad)


# -- §5.3 checkpoint --------------------------------------------------------------------


def test_spec_5_3_checkpoint_carries_the_spec_fields() -> None:
    data = RunState(run_id="r", next_node=None).to_json()
    assert {"timestamp", "current_node", "completed_nodes", "node_retries", "context", "logs"} <= (
        set(data)
    )
