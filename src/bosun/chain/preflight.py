"""Preflight of the layered chain: every agent node's runtime preset must exist and its
program must be installed, checked before anything of the run is launched."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bosun.base.errors import BosunError, InvalidInput
from bosun.chain.models import node_mode, node_runtime
from bosun.pipeline.graph import Graph, Node
from bosun.pipeline.launch import read_graph
from bosun.pipeline.nodetypes import NodeType
from bosun.runtime.presets import get_preset

if TYPE_CHECKING:
    from bosun.base.config import Config
    from bosun.core.context import Context

HINT = (
    'set runtime="<preset>" on the node or the graph (see `bosun runtimes list`), '
    "or change chain.runtime"
)


class ChainPreflightFailed(InvalidInput):
    code = "chain_preflight"


def node_preset(node: Node, graph: Graph, config: Config) -> str:
    """The runtime preset of an agent node: the node's `runtime`, the graph's, the setting
    (or a preset serving the node's llm_provider; see bosun.chain.models)."""
    return node_runtime(node, graph, config)


def runtime_problems(ctx: Context, graph: Graph) -> list[str]:
    """One line per agent node whose preset is unknown or whose program is missing."""
    runtimes = ctx.paths.runtimes if ctx.paths else None
    problems = []
    for node in graph.of_type(NodeType.AGENT):
        name = node_preset(node, graph, ctx.config)
        try:
            preset = get_preset(name, runtimes)
            if node_mode(node, graph, ctx.config) == "headless":
                preset.resolve_binary(preset.headless_command(""))
            else:
                preset.resolve_binary(preset.launch_argv())
        except BosunError as exc:
            problems.append(f"agent node {node.id!r}: {exc.message}")
    return problems


def check_runtimes(ctx: Context, graph: Graph) -> None:
    problems = runtime_problems(ctx, graph)
    if problems:
        raise ChainPreflightFailed("preflight: " + "; ".join(problems), HINT)


def check_graph_file(ctx: Context, path: Path) -> None:
    """The launcher's check, after the graph parsed and validated: missing runtimes."""
    _, graph = read_graph(path)
    check_runtimes(ctx, graph)
