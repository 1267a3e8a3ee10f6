"""The validation rules: the graph's structure, each node, each edge. Each returns the
`Diagnostic`s it finds; `bosun.pipeline.validate` runs them all."""

from __future__ import annotations

from bosun.base.durations import parse_duration
from bosun.base.errors import InvalidInput
from bosun.pipeline.attributes import EDGE_ATTRS, GRAPH_ATTRS, NODE_ATTRS, known_attribute
from bosun.pipeline.conditions import ConditionError, parse_condition
from bosun.pipeline.diagnostics import Diagnostic, Severity, edge_diagnostic, node_diagnostic
from bosun.pipeline.gates import ExitPolicy, exit_policy, retry_target_chain
from bosun.pipeline.graph import Graph
from bosun.pipeline.handlers.parallel import JOIN_POLICIES
from bosun.pipeline.handlers.registry import KINDS, SHAPE_TYPES, TYPE_ALIASES
from bosun.pipeline.nodetypes import NodeType

E, W = Severity.ERROR, Severity.WARNING


def check_structure(graph: Graph) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    starts, exits = graph.start_nodes, graph.exit_nodes
    if len(starts) != 1:
        found = ", ".join(n.id for n in starts) or "none"
        out.append(
            Diagnostic(
                "start_node",
                E,
                f"expected exactly one start node, found {found}",
                "give exactly one node shape=Mdiamond",
            )
        )
    if not exits:
        out.append(
            Diagnostic(
                "terminal_node", E, "no exit node", "add a node with shape=Msquare and route to it"
            )
        )
    for edge in graph.edges:
        for end, role in ((edge.source, "source"), (edge.target, "target")):
            if end not in graph.nodes:
                out.append(
                    edge_diagnostic(
                        "edge_target_exists",
                        E,
                        edge,
                        f"edge {edge.ref}: {role} {end!r} is not a node",
                        f"declare {end} [...] or fix the spelling",
                    )
                )
    for node in starts:
        for edge in graph.incoming(node.id):
            out.append(
                edge_diagnostic(
                    "start_no_incoming",
                    E,
                    edge,
                    f"start node {node.id!r} has an incoming edge from {edge.source!r}",
                    "route loops to the first real stage, not to start",
                )
            )
    for node in exits:
        for edge in graph.outgoing(node.id):
            out.append(
                edge_diagnostic(
                    "exit_no_outgoing",
                    E,
                    edge,
                    f"exit node {node.id!r} has an outgoing edge to {edge.target!r}",
                    "remove the edge; an exit ends the run",
                )
            )
    if len(starts) == 1:
        reachable = _reachable(graph, starts[0].id)
        for node in graph.nodes.values():
            if node.id not in reachable:
                out.append(
                    node_diagnostic(
                        "reachability",
                        E,
                        node,
                        f"node {node.id!r} is not reachable from {starts[0].id!r}",
                        "add an edge into it or delete it",
                    )
                )
    if exits:
        can_exit = _reaching_exit(graph)
        for node in graph.nodes.values():
            if node.id not in can_exit:
                out.append(
                    node_diagnostic(
                        "exit_reachable",
                        E,
                        node,
                        f"no exit is reachable from {node.id!r} (a cycle without exit?)",
                        "add an edge from the cycle toward an exit node",
                    )
                )
    return out


def _reachable(graph: Graph, start: str) -> set[str]:
    """Reachable by edges or by the retry targets failures and goal gates jump to."""
    jumps = [t for t in retry_target_chain(graph, None) if t in graph.nodes]
    seen, stack = {start, *jumps}, [start, *jumps]
    while stack:
        nid = stack.pop()
        targets = [e.target for e in graph.outgoing(nid)]
        node = graph.nodes.get(nid)
        if node is not None and (
            "retry_target" in node.attrs or "fallback_retry_target" in node.attrs
        ):
            targets += [t for t in retry_target_chain(graph, node) if t in graph.nodes]
        for target in targets:
            if target not in seen and target in graph.nodes:
                seen.add(target)
                stack.append(target)
    return seen


def _reaching_exit(graph: Graph) -> set[str]:
    seen = {n.id for n in graph.exit_nodes}
    stack = list(seen)
    while stack:
        for edge in graph.incoming(stack.pop()):
            if edge.source not in seen:
                seen.add(edge.source)
                stack.append(edge.source)
    return seen


def check_nodes(graph: Graph) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for node in graph.nodes.values():
        declared = node.declared_type
        if declared and declared not in TYPE_ALIASES:
            out.append(
                node_diagnostic(
                    "type_known",
                    W,
                    node,
                    f"unknown type {declared!r} on {node.id!r}",
                    "use one of: " + ", ".join(sorted(KINDS)),
                )
            )
        if "shape" in node.attrs and node.shape not in SHAPE_TYPES and not declared:
            out.append(
                node_diagnostic(
                    "type_known",
                    W,
                    node,
                    f"shape {node.shape!r} of {node.id!r} has no handler; runs as agent",
                    "use a pipeline shape (Mdiamond, Msquare, box, parallelogram, …)",
                )
            )
        for key in node.attrs:
            if not known_attribute(key, NODE_ATTRS):
                out.append(
                    node_diagnostic(
                        "unknown_attribute",
                        W,
                        node,
                        f"unknown node attribute {key!r} on {node.id!r}",
                        "check the spelling against docs/pipelines.md",
                    )
                )
        kind = node.type
        if kind == NodeType.TOOL and not node.get("tool_command").strip():
            out.append(
                node_diagnostic(
                    "tool_command_required",
                    E,
                    node,
                    f"tool node {node.id!r} has no tool_command",
                    'add tool_command="…" (a shell command)',
                )
            )
        for key in ("timeout", "human.timeout"):
            if key in node.attrs:
                try:
                    parse_duration(node.attrs[key], key)
                except InvalidInput:
                    out.append(
                        node_diagnostic(
                            "duration_syntax",
                            E,
                            node,
                            f"{key}={node.attrs[key]!r} on {node.id!r} is not a duration",
                            "write 250ms, 90s, 15m, 2h, 1d or a number of seconds",
                        )
                    )
        for key in ("max_retries", "max_parallel", "k"):
            if key in node.attrs and not node.attrs[key].strip().isdigit():
                out.append(
                    node_diagnostic(
                        "integer_attribute",
                        E,
                        node,
                        f"{key}={node.attrs[key]!r} on {node.id!r} is not an integer",
                        f"write {key}=N with N ≥ 0",
                    )
                )
        if kind == NodeType.PARALLEL and node.get("join_policy", "wait_all") not in JOIN_POLICIES:
            out.append(
                node_diagnostic(
                    "join_policy",
                    W,
                    node,
                    f"unknown join_policy {node.get('join_policy')!r} on {node.id!r}: "
                    "runs as wait_all (every branch must succeed for success)",
                    "use one of: " + ", ".join(JOIN_POLICIES),
                )
            )
        if kind == NodeType.MANAGER_LOOP:
            out.append(
                node_diagnostic(
                    "manager_loop_unsupported",
                    E,
                    node,
                    f"node {node.id!r} is a manager loop (shape=house, spec §4.11): "
                    "not supported by bosun yet",
                    "supervise the child pipeline with a tool node running `bosun run CHILD.dot`",
                )
            )
        for key in ("retry_target", "fallback_retry_target"):
            target = node.get(key).strip()
            if target and target not in graph.nodes:
                out.append(
                    node_diagnostic(
                        "retry_target_exists",
                        W,
                        node,
                        f"{key}={target!r} on {node.id!r} names no node",
                        "point it at an existing node",
                    )
                )
        if node.flag("goal_gate") and not retry_target_chain(graph, node):
            out.append(
                node_diagnostic(
                    "goal_gate_has_retry",
                    W,
                    node,
                    f"goal gate {node.id!r} has no retry target",
                    "set retry_target on the gate or on the graph",
                )
            )
    for key in ("retry_target", "fallback_retry_target"):
        target = graph.get(key).strip()
        if target and target not in graph.nodes:
            out.append(
                Diagnostic(
                    "retry_target_exists",
                    W,
                    f"graph {key}={target!r} names no node",
                    "point it at an existing node",
                )
            )
    if "stall_timeout" in graph.attrs:
        try:
            parse_duration(graph.attrs["stall_timeout"], "stall_timeout")
        except InvalidInput:
            out.append(
                Diagnostic(
                    "duration_syntax",
                    E,
                    f"graph stall_timeout={graph.attrs['stall_timeout']!r} is not a duration",
                    "write 250ms, 90s, 15m, 2h, 1d or seconds",
                )
            )
    for key in graph.attrs:
        if not known_attribute(key, GRAPH_ATTRS):
            out.append(
                Diagnostic(
                    "unknown_attribute",
                    W,
                    f"unknown graph attribute {key!r}",
                    "check the spelling against docs/pipelines.md",
                )
            )
    return out


def check_edges(graph: Graph) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    exit_policy_set = exit_policy(graph) != ExitPolicy.SUCCEED
    for edge in graph.edges:
        for key in edge.attrs:
            if not known_attribute(key, EDGE_ATTRS):
                out.append(
                    edge_diagnostic(
                        "unknown_attribute",
                        W,
                        edge,
                        f"unknown edge attribute {key!r} on {edge.ref}",
                        "check the spelling against docs/pipelines.md",
                    )
                )
        if "weight" in edge.attrs and not edge.attrs["weight"].strip().lstrip("-").isdigit():
            out.append(
                edge_diagnostic(
                    "integer_attribute",
                    E,
                    edge,
                    f"weight={edge.attrs['weight']!r} on {edge.ref} is not an integer",
                    "write weight=N",
                )
            )
        if "condition" in edge.attrs:
            try:
                parse_condition(edge.attrs["condition"])
            except ConditionError as exc:
                out.append(
                    edge_diagnostic(
                        "condition_syntax", E, edge, f"{edge.ref}: {exc.message}", exc.hint
                    )
                )
        source = graph.nodes.get(edge.source)
        target = graph.nodes.get(edge.target)
        if (
            source is not None
            and target is not None
            and target.type == NodeType.EXIT
            and not edge.condition
            and source.kind.can_fail
            and not source.kind.pass_through
            and not exit_policy_set
        ):
            out.append(
                edge_diagnostic(
                    "terminal_condition_edge",
                    W,
                    edge,
                    f"unconditional edge {edge.ref} into an exit from a node that can "
                    "fail: if it fails, the run still ends at the exit with success (§3.2)",
                    'add condition="outcome=success", or set the graph attribute '
                    "failed_stages_at_exit=fail (or completed_with_failures)",
                )
            )
        if edge.loop_restart and "transient_infra" not in edge.condition:
            out.append(
                edge_diagnostic(
                    "loop_restart_failure_class_guard",
                    W,
                    edge,
                    f"loop_restart edge {edge.ref} has no transient failure guard",
                    'add condition="context.failure_class=transient_infra"; other '
                    "failure classes block the restart",
                )
            )
    return out
