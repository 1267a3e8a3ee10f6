"""What a pipeline node type is: a name, the DOT shapes and `type=` aliases that select it,
and the traits the engine, the retry policy, the validator and the dashboard read.

A handler class carries these traits as class attributes (it subclasses `NodeKind`); the
tuple `NODE_TYPES` in `bosun.pipeline.handlers.registry` lists every node type, and every
table of shapes, aliases or traits elsewhere is derived from it. See CONTRIBUTING.md,
"A pipeline node type".

This module imports nothing from the pipeline, so a handler module can subclass `NodeKind`
without importing the graph model.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class NodeType(StrEnum):
    """The names of the built-in node types (a new node type needs no member here)."""

    START = "start"
    EXIT = "exit"
    AGENT = "agent"
    TOOL = "tool"
    CONDITIONAL = "conditional"
    HUMAN = "wait.human"
    PARALLEL = "parallel"
    FAN_IN = "parallel.fan_in"
    MANAGER_LOOP = "stack.manager_loop"


class Retry(StrEnum):
    """When a failed node runs again (within its `max_retries` budget)."""

    NEVER = "never"  # markers and gates: never retried
    ANY_FAILURE = "any_failure"  # any failure class but `canceled`
    BY_CLASS = "by_class"  # only when the failure class is retryable


class NodeKind:
    """The traits of one node type. Subclass it, set `name` and what differs, and add the
    class to `NODE_TYPES`."""

    name: ClassVar[str] = ""
    shapes: ClassVar[tuple[str, ...]] = ()  # DOT shapes that select this type
    aliases: ClassVar[tuple[str, ...]] = ()  # `type=` values besides `name`
    attributes: ClassVar[tuple[str, ...]] = ()  # node attributes only this type reads
    drawn_shapes: ClassVar[tuple[str, ...]] = ()  # shapes the dashboard draws as they are
    retry: ClassVar[Retry] = Retry.BY_CLASS
    can_fail: ClassVar[bool] = True  # an unconditional edge from it into an exit is an error
    pass_through: ClassVar[bool] = False  # relays the previous outcome; never a failed stage
    # a deterministic failure with no matching edge ends the run instead of jumping to the
    # retry target
    deterministic_failure_ends_run: ClassVar[bool] = False
    # a failure follows only edges whose condition matches it, never an unconditional one
    failure_needs_condition: ClassVar[bool] = False
