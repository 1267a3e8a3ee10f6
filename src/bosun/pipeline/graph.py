"""The pipeline graph model: nodes, edges and attributes, independent of any parser.

A node's type comes from its `type=` or its shape, through the tables derived from the
node types in `bosun.pipeline.handlers.registry`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from bosun.pipeline.handlers.registry import (
    DEFAULT_SHAPE,
    DEFAULT_TYPE,
    SHAPE_TYPES,
    TYPE_ALIASES,
    node_kind,
)
from bosun.pipeline.nodetypes import NodeKind, NodeType

Kind = type[NodeKind]
START_IDS = ("start", "Start")
EXIT_IDS = ("exit", "end")  # (inside Node, `type` names the property)

# NodeType lives in bosun.pipeline.nodetypes; it stays importable from here
__all__ = ["Edge", "Graph", "Node", "NodeType", "build_graph", "class_name"]


@dataclass(frozen=True)
class Node:
    id: str
    attrs: Mapping[str, str]
    classes: tuple[str, ...] = ()
    line: int = 0
    declared: bool = True  # False when the node only appears in edges

    def get(self, key: str, default: str = "") -> str:
        return self.attrs.get(key, default)

    @property
    def shape(self) -> str:
        return self.attrs.get("shape", DEFAULT_SHAPE)

    @property
    def declared_type(self) -> str:
        return self.attrs.get("type", "").strip()

    @cached_property
    def type(self) -> str:
        """An explicit, known `type=` wins over the shape; an unknown one falls back to it.
        A node whose shape selects no special type is the start when its id is `start` or
        `Start`, an exit when it is `exit` or `end` (spec §3.2, §7.2)."""
        explicit = TYPE_ALIASES.get(self.declared_type)
        if explicit is not None:
            return explicit
        by_shape = SHAPE_TYPES.get(self.shape, DEFAULT_TYPE)
        if by_shape == DEFAULT_TYPE:
            if self.id in START_IDS:
                return NodeType.START
            if self.id in EXIT_IDS:
                return NodeType.EXIT
        return by_shape

    @property
    def kind(self) -> Kind:
        """The node type's traits (retry, can fail, pass-through, …)."""
        return node_kind(self.type)

    @property
    def label(self) -> str:
        return self.attrs.get("label", self.id)

    @property
    def prompt(self) -> str:
        return self.attrs.get("prompt") or self.attrs.get("llm_prompt") or ""

    @property
    def task(self) -> str:
        """What an agent node is asked to do: its prompt, else its label, else its id
        (spec §2.6: the prompt falls back to the label, which defaults to the id)."""
        return self.prompt or self.label or self.id

    def flag(self, key: str) -> bool:
        return self.attrs.get(key, "").strip().lower() in ("true", "1", "yes", "on")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    attrs: Mapping[str, str]
    order: int
    line: int = 0

    @property
    def label(self) -> str:
        return self.attrs.get("label", "")

    @cached_property
    def condition(self) -> str:
        return self.attrs.get("condition", "").strip()

    @property
    def weight(self) -> int:
        try:
            return int(self.attrs.get("weight", "0") or "0")
        except ValueError:
            return 0

    @property
    def loop_restart(self) -> bool:
        value = self.attrs.get("loop_restart")
        return value is not None and value.strip().lower() in ("true", "1", "yes")

    @property
    def ref(self) -> str:
        return f"{self.source}->{self.target}"


@dataclass(frozen=True)
class Graph:
    name: str
    attrs: Mapping[str, str]
    nodes: Mapping[str, Node]
    edges: tuple[Edge, ...]
    source: str = field(default="", compare=False)

    def get(self, key: str, default: str = "") -> str:
        return self.attrs.get(key, default)

    @cached_property
    def _outgoing(self) -> dict[str, list[Edge]]:
        out: dict[str, list[Edge]] = {nid: [] for nid in self.nodes}
        for edge in self.edges:
            out.setdefault(edge.source, []).append(edge)
        return out

    @cached_property
    def _incoming(self) -> dict[str, list[Edge]]:
        inc: dict[str, list[Edge]] = {nid: [] for nid in self.nodes}
        for edge in self.edges:
            inc.setdefault(edge.target, []).append(edge)
        return inc

    def outgoing(self, node_id: str) -> list[Edge]:
        return self._outgoing.get(node_id, [])

    def incoming(self, node_id: str) -> list[Edge]:
        return self._incoming.get(node_id, [])

    def of_type(self, node_type: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.type == node_type]

    @property
    def start_nodes(self) -> list[Node]:
        return self.of_type(NodeType.START)

    @property
    def exit_nodes(self) -> list[Node]:
        return self.of_type(NodeType.EXIT)

    def reachable_from(self, start: str) -> set[str]:
        seen = {start}
        stack = [start]
        while stack:
            for edge in self.outgoing(stack.pop()):
                if edge.target not in seen and edge.target in self.nodes:
                    seen.add(edge.target)
                    stack.append(edge.target)
        return seen

    def graph_context(self) -> dict[str, str]:
        """`graph.*` context keys: every graph attribute, `goal` included."""
        return {f"graph.{k}": v for k, v in self.attrs.items()}


def build_graph(
    name: str,
    attrs: Mapping[str, str],
    nodes: Iterable[Node],
    edges: Iterable[Edge],
    source: str = "",
) -> Graph:
    return Graph(name, dict(attrs), {n.id: n for n in nodes}, tuple(edges), source)


def class_name(label: str) -> str:
    """A subgraph label as a class: lowercased, spaces to '-', other non-alphanumerics dropped."""
    lowered = label.strip().lower().replace(" ", "-")
    return "".join(ch for ch in lowered if ch.isalnum() or ch in "-_")
