"""Agent (codergen) nodes run as supervised sessions through the layered chain
(guardian → runner → orchestrator); the implementation lives in `bosun.chain`.

Without a bosun project there is no agent runtime, and the node fails clearly (structural,
so it is not retried) instead of pretending.
"""

from __future__ import annotations

from bosun.pipeline.handlers.base import HandlerContext
from bosun.pipeline.outcomes import Outcome

NO_RUNTIME = "no agent runtime configured"


class SupervisedAgent:
    """Delegates to `bosun.chain.handler` (imported on first use: the chain pulls in the
    fleet, git and the merge queue, which runs without agent nodes never need)."""

    def run(self, hc: HandlerContext) -> Outcome:
        from bosun.chain.handler import SupervisedAgentHandler

        return SupervisedAgentHandler().run(hc)
