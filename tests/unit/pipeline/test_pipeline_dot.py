"""The DOT parser: the Attractor subset, scoping, errors with line:column, fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bosun.base.durations import parse_duration
from bosun.base.errors import InvalidInput
from bosun.pipeline.dot import DotSyntaxError, parse_dot
from bosun.pipeline.graph import NodeType


def test_chained_edges_get_one_edge_per_pair_each_with_the_attributes() -> None:
    g = parse_dot('digraph G { a -> b -> c [label="x", weight=2] }')
    assert [(e.source, e.target, e.attrs["label"], e.weight) for e in g.edges] == [
        ("a", "b", "x", 2),
        ("b", "c", "x", 2),
    ]
    assert [e.order for e in g.edges] == [0, 1]


def test_comments_semicolons_and_qualified_keys() -> None:
    g = parse_dot("""
    // line comment
    /* block
       comment */
    digraph my_graph {
      goal = "ship it";
      node_one [shape=box, human.default_choice="yes", retry.backoff.jitter=false];
    };""")
    assert g.name == "my_graph"
    assert g.attrs["goal"] == "ship it"
    node = g.nodes["node_one"]
    assert node.attrs["human.default_choice"] == "yes"
    assert node.attrs["retry.backoff.jitter"] == "false"


def test_node_and_edge_defaults_are_scoped_to_what_follows() -> None:
    g = parse_dot("""digraph {
      a
      node [shape=parallelogram]
      edge [weight=5]
      b
      subgraph s { node [shape=diamond]; c; b -> c }
      d
      a -> d
    }""")
    assert g.nodes["a"].shape == "box"
    assert g.nodes["b"].shape == "parallelogram"
    assert g.nodes["c"].shape == "diamond"
    assert g.nodes["d"].shape == "parallelogram"  # the subgraph's default did not leak
    assert all(e.weight == 5 for e in g.edges)


def test_subgraph_label_becomes_a_class_on_its_nodes() -> None:
    g = parse_dot("""digraph {
      subgraph cluster_x { label="Review Loop!"; r1; r2 [class="extra"] }
      r3
    }""")
    assert g.nodes["r1"].classes == ("review-loop",)
    assert g.nodes["r2"].classes == ("extra", "review-loop")
    assert g.nodes["r3"].classes == ()


def test_shape_maps_to_type_and_an_explicit_type_wins() -> None:
    g = parse_dot("""digraph { s [shape=Mdiamond]; e [shape=Msquare]; t [shape=parallelogram]
      h [shape=hexagon]; p [shape=component]; f [shape=tripleoctagon]; c [shape=diamond]
      a; x [shape=box, type="tool"]; y [shape=parallelogram, type="nonsense"] }""")
    types = {nid: n.type for nid, n in g.nodes.items()}
    assert types == {
        "s": NodeType.START,
        "e": NodeType.EXIT,
        "t": NodeType.TOOL,
        "h": NodeType.HUMAN,
        "p": NodeType.PARALLEL,
        "f": NodeType.FAN_IN,
        "c": NodeType.CONDITIONAL,
        "a": NodeType.AGENT,
        "x": NodeType.TOOL,
        "y": NodeType.TOOL,
    }


def test_string_concatenation_and_escapes() -> None:
    g = parse_dot(r'digraph { a [prompt="line one\n" + "say \"hi\""] }')
    assert g.nodes["a"].prompt == 'line one\nsay "hi"'


def test_nodes_remember_their_line_and_whether_they_were_declared() -> None:
    g = parse_dot("digraph {\n  a\n\n  a -> b\n}")
    assert g.nodes["a"].line == 2 and g.nodes["a"].declared
    assert g.nodes["b"].line == 4 and not g.nodes["b"].declared


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("digraph { a -> }", 1, 16, "expected a node id"),
        ("digraph {\n  a [shape=box\n}", 3, 1, "expected ',' or ']'"),
        ("digraph {\n a -- b }", 2, 4, "undirected"),
        ("graph { a }", 1, 1, "undirected 'graph'"),
        ('digraph { a [label="open] }', 1, 20, "unterminated string"),
        ("digraph { /* never closed", 1, 11, "unterminated comment"),
        ("digraph { a } digraph { b }", 1, 15, "one digraph only"),
        ("digraph { a:port -> b }", 1, 12, "ports"),
        ("digraph { \u00e9t\u00e9 }", 1, 11, "ASCII"),
        ("digraph { a [x=] }", 1, 16, "expected a value"),
        ("digraph { {a b} -> c }", 1, 11, "subgraph as an edge endpoint"),
        ("", 1, 1, "expected 'digraph'"),
    ],
)
def test_malformed_dot_reports_line_and_column(
    text: str, line: int, column: int, words: str
) -> None:
    with pytest.raises(DotSyntaxError) as err:
        parse_dot(text, "g.dot")
    assert (err.value.line, err.value.column) == (line, column)
    assert words in err.value.message
    assert err.value.message.startswith(f"g.dot:{line}:{column}: ")
    assert isinstance(err.value, InvalidInput)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("90s", 90.0),
        ("15m", 900.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("45", 45.0),
    ],
)
def test_every_duration_unit_of_a_node_timeout(text: str, seconds: float) -> None:
    g = parse_dot(f"digraph {{ t [shape=parallelogram, timeout={text}] }}")
    assert g.nodes["t"].attrs["timeout"] == text  # bare 15m is one token
    assert parse_duration(g.nodes["t"].attrs["timeout"]) == seconds


_ALPHABET = st.sampled_from(list('digraph{}[]=;,->"/*\\ \nabcxyz0129_.:+#é\t'))


@settings(max_examples=400, deadline=None)
@given(st.text(_ALPHABET, max_size=80))
def test_random_input_raises_only_the_parse_error(text: str) -> None:
    with contextlib.suppress(DotSyntaxError):
        parse_dot(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_random_unicode_after_a_valid_prefix_raises_only_the_parse_error(tail: str) -> None:
    with contextlib.suppress(DotSyntaxError):
        parse_dot("digraph { a -> b " + tail)
