"""The node types, one line each, and the registry of their handlers.

`NODE_TYPES` is the one list of node types: the graph model's shape and alias tables, the
retry policy, the validator's vocabulary and the dashboard's drawn shapes are derived from
it. `HandlerRegistry` maps a node type to the handler that runs it in one process; the
caller registers what the pipeline cannot import (the agent handler, from `bosun.chain`),
as Temporal's `Worker(activities=[…])` does.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bosun.pipeline.handlers.agent import AgentNode
from bosun.pipeline.handlers.base import Handler, HandlerContext
from bosun.pipeline.handlers.human import HumanGate
from bosun.pipeline.handlers.manager import ManagerLoop
from bosun.pipeline.handlers.parallel import FanIn, FanOut
from bosun.pipeline.handlers.simple import Conditional, Exit, Start
from bosun.pipeline.handlers.tool import ToolHandler
from bosun.pipeline.nodetypes import NodeKind
from bosun.pipeline.outcomes import FailureClass, Outcome, failure

if TYPE_CHECKING:
    from bosun.pipeline.graph import Node

NODE_TYPES: tuple[type[NodeKind], ...] = (
    Start,
    Exit,
    AgentNode,
    ToolHandler,
    Conditional,
    HumanGate,
    FanOut,
    FanIn,
    ManagerLoop,
)
KINDS: dict[str, type[NodeKind]] = {kind.name: kind for kind in NODE_TYPES}
SHAPE_TYPES: dict[str, str] = {shape: k.name for k in NODE_TYPES for shape in k.shapes}
TYPE_ALIASES: dict[str, str] = {
    **{alias: k.name for k in NODE_TYPES for alias in k.aliases},
    **{k.name: k.name for k in NODE_TYPES},
}
DEFAULT_SHAPE = "box"
DEFAULT_TYPE = SHAPE_TYPES[DEFAULT_SHAPE]  # the type of a node whose shape no type claims


def node_kind(name: str) -> type[NodeKind]:
    return KINDS[name]


class MissingHandler:
    """Stands in for a node type nobody registered a handler for: the node fails clearly."""

    def __init__(self, node_type: str) -> None:
        self.node_type = node_type

    def run(self, hc: HandlerContext) -> Outcome:
        return failure(
            f"no {self.node_type} runtime configured: no handler is registered for "
            f"{self.node_type} node {hc.node.id!r} (the process that runs the pipeline "
            "registers it; `bosun run` registers the layered chain's agent handler)",
            FailureClass.STRUCTURAL,
        )


class HandlerRegistry:
    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})

    def register(self, node_type: str, handler: Handler) -> None:
        self._handlers[str(node_type)] = handler

    def for_node(self, node: Node) -> Handler:
        return self._handlers.get(node.type) or MissingHandler(node.type)

    def registered(self) -> list[str]:
        return sorted(self._handlers)

    def copy(self) -> HandlerRegistry:
        return HandlerRegistry(copy.copy(self._handlers))


def default_registry() -> HandlerRegistry:
    """The handlers the pipeline implements itself: every node type whose class in
    `NODE_TYPES` can run (all but `agent`, which the caller registers)."""
    instances = [kind() for kind in NODE_TYPES]
    return HandlerRegistry({h.name: h for h in instances if isinstance(h, Handler)})
