"""Which preset, model and mode an agent node runs with."""

from __future__ import annotations

import pytest

from bosun.base.config import default_config
from bosun.base.errors import InvalidInput
from bosun.chain.models import node_mode, node_model, node_runtime
from bosun.pipeline.dot import parse_dot


def _graph(graph_attrs: str, node_attrs: str):  # type: ignore[no-untyped-def]
    return parse_dot(
        f"digraph g {{ {graph_attrs} start [shape=Mdiamond] e [shape=Msquare] "
        f"a [shape=box, prompt=x {node_attrs}] start -> a -> e }}"
    )


@pytest.mark.parametrize(
    ("graph_attrs", "node_attrs", "runtime"),
    [
        ("", "", "claude"),
        ("", ', llm_provider="openai", llm_model="gpt-5"', "codex"),
        ("", ', llm_provider="gemini"', "gemini"),  # an alias of google
        ("", ', llm_provider="anthropic"', "claude"),  # chain.runtime serves it
        ('runtime="sim"', ', llm_provider="openai"', "sim"),  # explicit wins
        ('llm_provider="openai"', ', runtime="aider"', "aider"),
        ("", ', llm_provider="nobody"', "claude"),  # unknown: preflight reports it
        ("", ', llm_model="gpt-5"', "codex"),  # the provider inferred from the model id
        ('model_stylesheet="* { llm_provider: google; }"', "", "gemini"),  # the stylesheet
    ],
)
def test_runtime_follows_the_node_then_the_graph_then_the_provider(
    graph_attrs: str, node_attrs: str, runtime: str
) -> None:
    graph = _graph(graph_attrs, node_attrs)
    assert node_runtime(graph.nodes["a"], graph, default_config()) == runtime


def test_model_and_mode_come_from_the_node_else_the_graph() -> None:
    graph = _graph('llm_model="gpt-5" mode="headless"', ', llm_model="o3"')
    assert node_model(graph.nodes["a"], graph) == "o3"
    assert node_mode(graph.nodes["a"], graph, default_config()) == "headless"
    plain = _graph("", "")
    assert node_model(plain.nodes["a"], plain) == ""
    assert node_mode(plain.nodes["a"], plain, default_config()) == "supervised"
    styled = _graph('model_stylesheet="#a { llm_model: o3; }" llm_model="gpt-5"', "")
    assert node_model(styled.nodes["a"], styled) == "o3"
    with pytest.raises(InvalidInput, match="mode='batch' is not a run mode"):
        node_mode(plain.nodes["a"], _graph('mode="batch"', ""), default_config())
