"""Conformance with the Attractor spec §2 (DOT DSL schema): one test or more per rule.

Each refusal must be one line `FILE:LINE:COLUMN: message` with a hint.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bosun.pipeline.dot import DotSyntaxError, parse_dot, subgraph_class
from bosun.pipeline.graph import Graph


def refused(text: str, line: int, column: int, words: str) -> DotSyntaxError:
    with pytest.raises(DotSyntaxError) as err:
        parse_dot(text, "p.dot")
    exc = err.value
    assert (exc.line, exc.column) == (line, column), exc.message
    assert words in exc.message
    assert exc.message.startswith(f"p.dot:{line}:{column}: ")
    assert "\n" not in exc.message
    assert exc.hint
    return exc


def node_attrs(text: str, nid: str = "a") -> dict[str, str]:
    return parse_dot(text).nodes[nid].attrs


# -- §2.2 Graph ::= 'digraph' Identifier '{' Statement* '}' ------------------------------


def test_spec_2_2_graph_is_a_named_digraph() -> None:
    g = parse_dot("digraph Pipeline_1 { a }")
    assert g.name == "Pipeline_1"
    assert list(g.nodes) == ["a"]


def test_spec_2_2_graph_name_must_be_a_bare_identifier() -> None:
    refused('digraph "my graph" { a }', 1, 9, "invalid graph name")
    refused("digraph 1st { a }", 1, 9, "invalid graph name")


def test_spec_2_2_graph_must_be_closed() -> None:
    refused("digraph G {\n a -> b\n", 3, 1, "expected '}'")


# -- §2.2 Statements ---------------------------------------------------------------------


def test_spec_2_2_graph_attr_stmt_with_optional_semicolon() -> None:
    g = parse_dot('digraph G { graph [goal="ship", label="L"]; graph [rankdir=LR] a }')
    assert g.attrs == {"goal": "ship", "label": "L", "rankdir": "LR"}


def test_spec_2_2_graph_attr_decl_identifier_equals_value() -> None:
    g = parse_dot('digraph G {\n goal = "ship"\n rankdir=LR;\n default_max_retries=2\n a }')
    assert g.attrs == {"goal": "ship", "rankdir": "LR", "default_max_retries": "2"}


def test_spec_2_2_node_and_edge_defaults() -> None:
    g = parse_dot("digraph G { node [shape=box, timeout=900s]; edge [weight=3] a -> b }")
    assert g.nodes["a"].attrs == {"shape": "box", "timeout": "900s"}
    assert g.edges[0].attrs == {"weight": "3"}


def test_spec_2_2_subgraph_with_or_without_a_name() -> None:
    g = parse_dot("digraph G { subgraph cluster_a { a } subgraph { b } }")
    assert set(g.nodes) == {"a", "b"}


def test_spec_2_2_subgraph_needs_the_keyword() -> None:
    refused("digraph G { { a b } }", 1, 13, "anonymous")


def test_spec_2_2_node_stmt_with_optional_attr_block() -> None:
    g = parse_dot('digraph G { a; b [label="B"] }')
    assert g.nodes["a"].attrs == {}
    assert g.nodes["b"].attrs == {"label": "B"}


def test_spec_2_2_edge_stmt_with_optional_attr_block() -> None:
    g = parse_dot('digraph G { a -> b; b -> c [label="next"] }')
    assert [(e.source, e.target, e.attrs) for e in g.edges] == [
        ("a", "b", {}),
        ("b", "c", {"label": "next"}),
    ]


def test_spec_2_2_edge_stmt_needs_a_target() -> None:
    refused("digraph G { a -> }", 1, 18, "expected a node id after '->'")


# -- §2.2 AttrBlock ::= '[' Attr ( ',' Attr )* ']' ----------------------------------------


def test_spec_2_2_attr_block_holds_comma_separated_attrs_over_lines() -> None:
    attrs = node_attrs('digraph G { a [\n  shape=box,\n  label="A",\n  prompt="p"\n] }')
    assert attrs == {"shape": "box", "label": "A", "prompt": "p"}


def test_spec_2_2_attr_block_is_not_empty_and_has_no_trailing_comma() -> None:
    refused("digraph G { a [] }", 1, 16, "expected an attribute name")
    refused("digraph G { a [shape=box,] }", 1, 26, "expected an attribute name")


def test_spec_2_2_one_attr_block_per_statement() -> None:
    refused("digraph G { a [shape=box] [label=x] }", 1, 27, "second attribute block")


def test_spec_2_2_attr_is_key_equals_value() -> None:
    refused("digraph G { a [shape] }", 1, 21, "expected '='")
    refused("digraph G { a [shape=] }", 1, 22, "expected a value")


# -- §2.2 Key ::= Identifier | QualifiedId -------------------------------------------------


def test_spec_2_2_qualified_keys() -> None:
    attrs = node_attrs("digraph G { a [human.default_choice=yes, retry.backoff.jitter=false] }")
    assert attrs == {"human.default_choice": "yes", "retry.backoff.jitter": "false"}


def test_spec_2_2_key_is_a_bare_identifier() -> None:
    refused('digraph G { a ["label"="x"] }', 1, 16, "invalid attribute name")
    refused("digraph G { a [9lives=x] }", 1, 16, "invalid attribute name")
    refused("digraph G { a [llm-model=x] }", 1, 16, "invalid attribute name")


# -- §2.2 Value ::= String | Integer | Float | Boolean | Duration | BareValue ---------------


def test_spec_2_2_integer_values_with_optional_sign() -> None:
    attrs = node_attrs("digraph G { a [max_retries=3, weight=-1, zero=0] }")
    assert attrs == {"max_retries": "3", "weight": "-1", "zero": "0"}


def test_spec_2_2_float_values() -> None:
    attrs = node_attrs("digraph G { a [quorum_fraction=0.5, bias=-3.14, tiny=.25] }")
    assert attrs == {"quorum_fraction": "0.5", "bias": "-3.14", "tiny": ".25"}


def test_spec_2_2_boolean_values() -> None:
    attrs = node_attrs("digraph G { a [goal_gate=true, auto_status=false] }")
    assert attrs == {"goal_gate": "true", "auto_status": "false"}


@pytest.mark.parametrize("duration", ["250ms", "900s", "15m", "2h", "1d"])
def test_spec_2_2_duration_values_stay_one_token(duration: str) -> None:
    assert node_attrs(f"digraph G {{ a [timeout={duration}] }}")["timeout"] == duration


def test_spec_2_2_bare_value_allows_dash_and_colon() -> None:
    attrs = node_attrs(
        "digraph G { a [llm_model=claude-opus-4-6, fidelity=summary:high, other=gpt-5.4,"
        " provider=open_ai, tail=x-] }"
    )
    assert attrs == {
        "llm_model": "claude-opus-4-6",
        "fidelity": "summary:high",
        "other": "gpt-5.4",
        "provider": "open_ai",
        "tail": "x-",
    }


def test_spec_2_2_bare_value_next_to_an_arrow_is_still_an_edge() -> None:
    g = parse_dot("digraph G { a->b-> c [fidelity=summary:low] }")
    assert [(e.source, e.target) for e in g.edges] == [("a", "b"), ("b", "c")]
    assert g.edges[1].attrs["fidelity"] == "summary:low"


@pytest.mark.parametrize(("value", "column"), [("5x", 22), ("1.2.3", 22), ("-abc", 22), (".x", 22)])
def test_spec_2_2_other_bare_values_must_be_quoted(value: str, column: int) -> None:
    refused(f"digraph G {{ a [shape={value}] }}", 1, column, "invalid bare value")


def test_spec_2_2_bare_value_refuses_characters_outside_the_rule() -> None:
    refused("digraph G { a [tool_command=bin/run] }", 1, 32, "unexpected character '/'")


# -- §2.2 String ::= '"' ( '\\"' | '\\n' | '\\t' | '\\\\' | [^"\\] )* '"' ---------------------


def test_spec_2_2_string_escapes() -> None:
    attrs = node_attrs(r'digraph G { a [prompt="say \"hi\"\n\tand \\ go"] }')
    assert attrs["prompt"] == 'say "hi"\n\tand \\ go'


def test_spec_2_2_string_holds_any_character_but_quote_and_backslash() -> None:
    prompt = "Plan \u2014 then ship \u2192 r\u00e9sum\u00e9 \u2713\nx=1; ]->[ // not a comment"
    assert node_attrs(f'digraph G {{ a [prompt="{prompt}"] }}')["prompt"] == prompt


def test_spec_2_2_string_refuses_an_unknown_escape() -> None:
    exc = refused(r'digraph G { a [prompt="match \d+"] }', 1, 30, "unknown escape '\\\\d'")
    assert "\\\\" in exc.hint


def test_spec_2_2_string_must_be_terminated() -> None:
    refused('digraph G {\n a [label="open] }', 2, 11, "unterminated string")


def test_spec_2_2_identifier_is_ascii() -> None:
    refused("digraph G { \u00e9tape }", 1, 13, "non-ASCII")


# -- §2.3 Key constraints ----------------------------------------------------------------


def test_spec_2_3_one_digraph_per_file() -> None:
    refused("digraph A { a } digraph B { b }", 1, 17, "one digraph only")


def test_spec_2_3_a_trailing_semicolon_after_the_graph_is_accepted() -> None:
    assert list(parse_dot("digraph G { a -> b };\n").nodes) == ["a", "b"]


def test_spec_2_3_undirected_graphs_are_refused() -> None:
    refused("graph G { a }", 1, 1, "undirected 'graph'")


def test_spec_2_3_strict_is_refused() -> None:
    refused("strict digraph G { a }", 1, 1, "strict")


def test_spec_2_3_node_ids_are_bare_identifiers() -> None:
    assert "_private_1" in parse_dot("digraph G { _private_1 }").nodes
    refused('digraph G { "node one" [label="x"] }', 1, 13, "quoted node id")
    refused("digraph G { 42 }", 1, 13, "invalid node id")
    refused("digraph G { a -> b-c }", 1, 18, "invalid node id")
    refused('digraph G { a -> "b" }', 1, 18, "quoted node id")


def test_spec_2_3_node_ids_are_not_keywords() -> None:
    refused("digraph G { a -> node }", 1, 18, "unexpected keyword")


def test_spec_2_3_commas_are_required_between_attributes() -> None:
    exc = refused('digraph G { a [shape=box label="x"] }', 1, 26, "expected ',' or ']'")
    assert "comma" in exc.hint


def test_spec_2_3_semicolons_do_not_separate_attributes() -> None:
    refused('digraph G { a [shape=box; label="x"] }', 1, 25, "expected ',' or ']'")


def test_spec_2_3_directed_edges_only() -> None:
    refused("digraph G {\n a -- b }", 2, 4, "undirected")
    refused("digraph G { a--b }", 1, 14, "undirected")


def test_spec_2_3_comments_are_stripped() -> None:
    g = parse_dot(
        '// header\ndigraph G { /* block\n comment */ a -> b // tail\n c [label="http://x/*y*/"] }'
    )
    assert list(g.nodes) == ["a", "b", "c"]
    assert g.nodes["c"].attrs["label"] == "http://x/*y*/"


def test_spec_2_3_comments_must_be_closed() -> None:
    refused("digraph G { /* never closed", 1, 13, "unterminated comment")


def test_spec_2_3_semicolons_are_optional() -> None:
    with_semis = parse_dot("digraph G { a; b; a -> b; node [shape=box]; x=1; }")
    without = parse_dot("digraph G { a b a -> b node [shape=box] x=1 }")
    assert _shape(with_semis) == _shape(without)


def _shape(g: Graph) -> tuple[object, ...]:
    return (list(g.nodes), [(e.source, e.target) for e in g.edges], g.attrs)


def test_spec_2_3_ports_are_refused() -> None:
    refused("digraph G { a:out -> b }", 1, 14, "ports")


# -- §2.4 Value types --------------------------------------------------------------------


def test_spec_2_4_values_keep_their_text_for_typed_reading_later() -> None:
    attrs = node_attrs('digraph G { a [s="Hello world", i=42, f=0.5, b=true, d=250ms] }')
    assert attrs == {"s": "Hello world", "i": "42", "f": "0.5", "b": "true", "d": "250ms"}


# -- §2.9 Chained edges, §2.11 defaults, §2.10 and §2.12 classes --------------------------


def test_spec_2_9_chained_edges_expand_to_one_edge_per_pair_with_the_attrs() -> None:
    g = parse_dot('digraph G { A -> B -> C [label="next"] }')
    assert [(e.source, e.target, e.attrs) for e in g.edges] == [
        ("A", "B", {"label": "next"}),
        ("B", "C", {"label": "next"}),
    ]


def test_spec_2_10_subgraph_defaults_are_scoped_and_overridable() -> None:
    g = parse_dot("""digraph G {
        subgraph cluster_loop {
            label = "Loop A"
            node [thread_id="loop-a", timeout="900s"]
            Plan      [label="Plan next step"]
            Implement [label="Implement", timeout="1800s"]
        }
        After
    }""")
    assert g.nodes["Plan"].attrs["timeout"] == "900s"
    assert g.nodes["Implement"].attrs == {
        "thread_id": "loop-a",
        "timeout": "1800s",
        "label": "Implement",
    }
    assert g.nodes["After"].attrs == {}
    assert g.nodes["Plan"].classes == ("loop-a",)
    assert g.attrs == {}  # the subgraph's label is not a graph attribute


@pytest.mark.parametrize(
    ("label", "cls"),
    [
        ("Loop A", "loop-a"),
        ("Review_Loop!", "reviewloop"),
        ("  Fix: Up (v2) ", "fix-up-v2"),
        ("Caf\u00e9 Stage", "caf-stage"),
    ],
)
def test_spec_2_10_class_from_label_strips_all_but_alphanumerics_and_hyphens(
    label: str, cls: str
) -> None:
    assert subgraph_class(label) == cls


def test_spec_2_11_defaults_apply_to_later_declarations_only() -> None:
    g = parse_dot("digraph G { a; node [shape=diamond]; b; edge [weight=2]; a -> b; }")
    assert g.nodes["a"].shape == "box"
    assert g.nodes["b"].shape == "diamond"
    assert g.edges[0].weight == 2


def test_spec_2_12_class_attribute_is_comma_separated_and_joins_derived_classes() -> None:
    g = parse_dot('digraph G { subgraph s { label="Hot Path"; a [class="code, critical"] } }')
    assert g.nodes["a"].classes == ("code", "critical", "hot-path")


_PIECES = st.sampled_from(
    [
        "digraph",
        " G",
        " {",
        "}",
        " a",
        " b",
        " ->",
        " [",
        "]",
        "=",
        ",",
        ";",
        '"x\ny"',
        '"q',
        "\\d",
        "\n",
        " strict",
        "-",
        ":",
        ".",
        "9",
        "\u00e9",
        " subgraph",
        " node",
        "/*",
        "*/",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=25))
def test_spec_2_every_refusal_is_one_line_with_position_and_hint(pieces: list[str]) -> None:
    try:
        parse_dot("".join(pieces), "f.dot")
    except DotSyntaxError as exc:
        assert "\n" not in exc.message
        assert exc.message.startswith(f"f.dot:{exc.line}:{exc.column}: ")
        assert exc.hint
