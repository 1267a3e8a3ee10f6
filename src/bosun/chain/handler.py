"""The pipeline handler for agent nodes, and its registration.

Every process that runs a pipeline registers it (`chain_registry()`): `bosun run start` in
the foreground, the detached run process (which is `bosun run start` again), `bosun run
resume`, and the demo (through the CLI). The handler checks the run's runtimes
(preflight), builds the runner's spec, starts the runner, and then answers it until the
node has an outcome (`bosun.chain.supervision`). A node whose mode is `headless` runs in
the CLI's print mode instead (`bosun.chain.headless`); `AgentNodeHandler` picks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bosun.base.errors import BosunError
from bosun.chain.headless import HeadlessAgentHandler
from bosun.chain.models import node_mode
from bosun.pipeline.handlers.agent import AgentNode
from bosun.pipeline.handlers.registry import HandlerRegistry, default_registry
from bosun.pipeline.outcomes import FailureClass, Outcome, failure
from bosun.pipeline.stylesheet import model_env

if TYPE_CHECKING:
    from bosun.pipeline.handlers.base import HandlerContext

NO_PROJECT = "no agent runtime configured"


def chain_registry() -> HandlerRegistry:
    """The pipeline's own handlers plus the layered chain's agent handler."""
    registry = default_registry()
    registry.register(AgentNode.name, AgentNodeHandler())
    return registry


class AgentNodeHandler(AgentNode):
    """Runs an agent node supervised or headless, as its `mode` says (bosun.chain.models)."""

    def __init__(self) -> None:
        self.supervised = SupervisedAgentHandler()
        self.headless = HeadlessAgentHandler()

    def run(self, hc: HandlerContext) -> Outcome:
        config = hc.project.config if hc.project is not None else None
        try:
            mode = node_mode(hc.node, hc.graph, config)
        except BosunError as exc:
            return failure(exc.message, FailureClass.STRUCTURAL)
        return (self.headless if mode == "headless" else self.supervised).run(hc)


class SupervisedAgentHandler(AgentNode):
    """Runs an agent node as a supervised session: guardian → runner → orchestrator."""

    def run(self, hc: HandlerContext) -> Outcome:
        # imported on first use, for start-up time: they pull in the fleet, git and the
        # merge queue, which runs without agent nodes never need
        from bosun.chain.guardian import Guardian
        from bosun.chain.names import node_name
        from bosun.chain.records import read_spec
        from bosun.chain.spawn import build_spec, start_runner
        from bosun.chain.supervision import NodeSupervision, adoptable_runner

        ctx = hc.project
        if ctx is None or ctx.paths is None:
            return failure(
                f"{NO_PROJECT}: agent node {hc.node.id!r} needs a bosun project "
                "(run `bosun init` in the repository)",
                FailureClass.STRUCTURAL,
            )
        guardian = Guardian.for_run(ctx, hc.run_id, hc.rundir.base)
        problems = guardian.preflight(hc.graph)
        if problems:
            return failure("preflight: " + "; ".join(problems), FailureClass.STRUCTURAL)
        orphan = adoptable_runner(hc.rundir.base, node_name(hc.run_id, hc.node.id))
        if orphan is not None:
            # the guardian of this run crashed while this node ran; its runner and agent
            # kept working: supervise them instead of starting a second pair
            try:
                spec = read_spec(orphan.spec_file)
            except BosunError:
                spec = None
            if spec is not None:
                hc.emit(
                    "agent_runner_adopted",
                    node_id=hc.node.id,
                    runner=orphan.runner,
                    orchestrator=orphan.orchestrator,
                    pid=orphan.pid,
                )
                return NodeSupervision(ctx, guardian, spec, orphan, hc).wait()
        try:
            spec = build_spec(
                ctx,
                hc.graph,
                hc.node,
                hc.run_id,
                hc.rundir.base,
                hc.stage_dir,
                hc.workdir,
                attempt=hc.attempt,
                env={**hc.env(), **model_env(hc.graph, hc.node)},
            )
        except BosunError as exc:
            return failure(f"agent node setup: {exc.message}", FailureClass.STRUCTURAL)
        spec.status_path.unlink(missing_ok=True)  # a previous attempt's report is stale
        try:
            process = start_runner(ctx, spec)
        except (BosunError, OSError) as exc:
            return failure(f"cannot start the runner: {exc}", FailureClass.DETERMINISTIC)
        hc.emit(
            "agent_runner_started",
            node_id=hc.node.id,
            runner=process.runner,
            orchestrator=process.orchestrator,
            pid=process.pid,
            work_id=spec.work_id,
        )
        return NodeSupervision(ctx, guardian, spec, process, hc).wait()
