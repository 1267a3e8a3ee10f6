"""Node types: one list (NODE_TYPES), every table derived from it, and handlers registered
by the caller (the pipeline never imports the chain's agent handler)."""

from __future__ import annotations

from pathlib import Path

from bosun.base.clock import FakeClock
from bosun.chain.handler import AgentNodeHandler, chain_registry
from bosun.pipeline.dot import parse_dot
from bosun.pipeline.handlers.base import CancelToken, HandlerContext, RunContext
from bosun.pipeline.handlers.registry import (
    NODE_TYPES,
    SHAPE_TYPES,
    TYPE_ALIASES,
    MissingHandler,
    default_registry,
)
from bosun.pipeline.nodetypes import NodeType, Retry
from bosun.pipeline.rundir import RunDir

G = parse_dot("""digraph {
  s [shape=Mdiamond]; e [shape=Msquare]; a [prompt="p"]; t [shape=parallelogram]
  c [shape=diamond]; h [shape=hexagon]; p [shape=component]; f [shape=tripleoctagon]
  odd [shape=star, prompt="p"]; typed [type="codergen", shape=parallelogram]
}""")


def test_every_built_in_type_is_listed_once_with_its_own_shapes() -> None:
    names = [kind.name for kind in NODE_TYPES]
    assert sorted(names) == sorted(t.value for t in NodeType)
    shapes = [shape for kind in NODE_TYPES for shape in kind.shapes]
    assert len(shapes) == len(set(shapes)) == len(SHAPE_TYPES)
    assert all(TYPE_ALIASES[kind.name] == kind.name for kind in NODE_TYPES)


def test_a_node_type_comes_from_type_then_shape_then_the_default() -> None:
    types = {nid: G.nodes[nid].type for nid in ("s", "e", "a", "t", "c", "h", "p", "f")}
    assert types == {
        "s": "start",
        "e": "exit",
        "a": "agent",
        "t": "tool",
        "c": "conditional",
        "h": "wait.human",
        "p": "parallel",
        "f": "parallel.fan_in",
    }
    assert G.nodes["odd"].type == "agent"  # a shape no type claims
    assert G.nodes["typed"].type == "agent"  # an explicit type wins over the shape


def test_traits_come_from_the_node_type() -> None:
    kinds = {nid: G.nodes[nid].kind for nid in G.nodes}
    assert kinds["t"].retry is Retry.ANY_FAILURE
    assert kinds["h"].retry is Retry.ANY_FAILURE  # a gate timeout is RETRY (spec §4.6)
    assert kinds["a"].retry is Retry.BY_CLASS
    assert {nid for nid, k in kinds.items() if k.retry is Retry.NEVER} == {
        "s",
        "e",
        "c",
        "p",
        "f",
    }
    assert {nid for nid, k in kinds.items() if k.failure_needs_condition} == {"h"}
    assert {nid for nid, k in kinds.items() if not k.can_fail} == {"s", "e"}
    assert {nid for nid, k in kinds.items() if k.pass_through} == {"c"}


def test_the_pipeline_registers_every_handler_but_the_agent_one(tmp_path: Path) -> None:
    registry = default_registry()
    assert "agent" not in registry.registered()
    assert len(registry.registered()) == len(NODE_TYPES) - 1
    handler = registry.for_node(G.nodes["a"])
    assert isinstance(handler, MissingHandler)
    clock = FakeClock()
    hc = HandlerContext(
        run_id="r1",
        graph=G,
        node=G.nodes["a"],
        rundir=RunDir(tmp_path, "r1", clock),
        stage_dir=tmp_path,
        workdir=tmp_path,
        context=RunContext(),
        clock=clock,
        sleep=lambda _: None,
        cancel=CancelToken(),
    )
    outcome = handler.run(hc)
    assert outcome.is_failure and outcome.failure_class == "structural"
    assert "no agent runtime configured" in outcome.failure_reason
    assert "no handler is registered for agent node 'a'" in outcome.failure_reason


def test_the_chain_registers_its_agent_handler() -> None:
    registry = chain_registry()
    assert isinstance(registry.for_node(G.nodes["a"]), AgentNodeHandler)
    assert registry.registered() == sorted(kind.name for kind in NODE_TYPES)
