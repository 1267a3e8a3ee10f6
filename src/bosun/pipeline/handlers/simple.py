"""Start, exit and conditional nodes."""

from __future__ import annotations

from bosun.pipeline.handlers.base import HandlerContext
from bosun.pipeline.nodetypes import NodeKind, NodeType, Retry
from bosun.pipeline.outcomes import Outcome, success


class Start(NodeKind):
    name = NodeType.START
    shapes = ("Mdiamond", "circle")
    drawn_shapes = ("Mdiamond",)
    retry = Retry.NEVER
    can_fail = False

    def run(self, hc: HandlerContext) -> Outcome:
        return success()


class Exit(NodeKind):
    name = NodeType.EXIT
    shapes = ("Msquare", "doublecircle")
    drawn_shapes = ("Msquare",)
    retry = Retry.NEVER
    can_fail = False

    def run(self, hc: HandlerContext) -> Outcome:
        return success()


class Conditional(NodeKind):
    """Passes the previous outcome through so its edges' conditions route on it."""

    name = NodeType.CONDITIONAL
    shapes = ("diamond",)
    drawn_shapes = ("diamond",)
    retry = Retry.NEVER
    pass_through = True

    def run(self, hc: HandlerContext) -> Outcome:
        ctx = hc.context
        status = str(ctx.get("outcome") or "success")
        return Outcome(
            status,
            preferred_label=str(ctx.get("preferred_label") or ""),
            failure_reason=str(ctx.get("failure_reason") or ""),
            failure_class=str(ctx.get("failure_class") or ""),
        )
