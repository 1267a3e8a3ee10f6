"""Start, exit and conditional nodes."""

from __future__ import annotations

from bosun.pipeline.handlers.base import HandlerContext
from bosun.pipeline.outcomes import Outcome, success


class Start:
    def run(self, hc: HandlerContext) -> Outcome:
        return success()


class Exit:
    def run(self, hc: HandlerContext) -> Outcome:
        return success()


class Conditional:
    """Passes the previous outcome through so its edges' conditions route on it."""

    def run(self, hc: HandlerContext) -> Outcome:
        ctx = hc.context
        status = str(ctx.get("outcome") or "success")
        return Outcome(
            status,
            preferred_label=str(ctx.get("preferred_label") or ""),
            failure_reason=str(ctx.get("failure_reason") or ""),
            failure_class=str(ctx.get("failure_class") or ""),
        )
