"""The manager loop (shape=house, spec §4.11): recognised, so that validation refuses it
with a clear "not supported yet" error (`manager_loop_unsupported`) instead of running it
as an agent node. Its handler fails the same way should a graph reach it anyway."""

from __future__ import annotations

from bosun.pipeline.handlers.base import HandlerContext
from bosun.pipeline.nodetypes import NodeKind, NodeType, Retry
from bosun.pipeline.outcomes import FailureClass, Outcome, failure

NOT_SUPPORTED = "manager loop nodes (shape=house, spec §4.11) are not supported by bosun yet"


class ManagerLoop(NodeKind):
    name = NodeType.MANAGER_LOOP
    shapes = ("house",)
    aliases = ("manager_loop",)
    attributes = ("stack.child_autostart",)
    drawn_shapes = ("house",)
    retry = Retry.NEVER

    def run(self, hc: HandlerContext) -> Outcome:
        return failure(f"{hc.node.id}: {NOT_SUPPORTED}", FailureClass.STRUCTURAL)
