"""Lint rules beyond the graph's structure: the spec's §7.2 rules not in
`bosun.pipeline.rules` (`stylesheet_syntax`, `fidelity_valid`, `prompt_on_llm_nodes`) and
Kilroy's lint rules, with Kilroy's severities where the spec is silent. Where the spec
speaks, it wins: Kilroy's `llm_provider_required`, `all_conditional_edges`,
`goal_gate_exit_status_contract` and `terminal_condition_edge` errors are warnings here,
because the spec defines what happens (the provider is inferred; no matching edge ends the
run; the exit checks goal gates and sends the run back; an exit ends it with success).
See docs/pipelines.md, "Validation rules"."""

from __future__ import annotations

import re

from bosun.pipeline.conditions import Clause, ConditionError, canonical_outcome, parse_condition
from bosun.pipeline.diagnostics import Diagnostic, Severity, edge_diagnostic, node_diagnostic
from bosun.pipeline.graph import Edge, Graph, Node
from bosun.pipeline.nodetypes import NodeType
from bosun.pipeline.outcomes import StageStatus
from bosun.pipeline.stylesheet import StylesheetError, parse_stylesheet, resolve_model
from bosun.pipeline.transforms import prompt_file_path

E, W = Severity.ERROR, Severity.WARNING
FIDELITY_MODES = ("full", "truncate", "compact", "summary:low", "summary:medium", "summary:high")
CANONICAL = {s.value for s in StageStatus}
RESERVED_IDS = {"graph", "digraph", "subgraph", "node", "edge", "strict", "if"}
STATUS_PATH_NAMES = ("STAGE_STATUS_PATH",)  # $BOSUN_… or $KILROY_…
_STATUS_WRITE = re.compile(r"""["']status["']\s*:\s*["']([a-zA-Z0-9_-]+)["']""")
_FIELD_CONFUSION = re.compile(
    r"""(?i)["']?status["']?\s*:\s*["']?(?:success|fail|retry|skipped|partial_success)["']?"""
    r"""[^}]{0,80}["']?outcome["']?\s*:"""
)
# Attributes the spec or Kilroy defines that bosun reads but does not act on.
ACCEPTED_NOT_USED = {
    "fidelity": "context fidelity (bosun agents keep their own session context)",
    "default_fidelity": "context fidelity (bosun agents keep their own session context)",
    "thread_id": "LLM session threads (each bosun agent node is its own session)",
    "max_agent_turns": "agent turn limits (set them in the runtime preset)",
    "auto_status": "auto status (a bosun agent node reports through its runner)",
    "max_tokens": "token limits (set them in the runtime preset)",
    "escalation_models": "model escalation on budget failures",
    "agent_mode": "Kilroy's agent modes (the runtime preset decides)",
    "agent_tool": "Kilroy's agent tool choice (the runtime preset decides)",
    **{
        key: "Kilroy's loop.begin/loop.end shapes"
        for key in (
            "loop_id",
            "loop_count",
            "loop_max",
            "loop_until_file",
            "loop_until_file_contains",
            "loop_while_outcome",
        )
    },
    "concurrent_id": "Kilroy's concurrent.split/join shapes",
}


def _clauses(edge: Edge) -> tuple[Clause, ...]:
    try:
        return parse_condition(edge.condition).clauses
    except ConditionError:
        return ()


def _outcome_values(edge: Edge, op: str = "=") -> list[str]:
    return [canonical_outcome(c.value) for c in _clauses(edge) if c.key == "outcome" and c.op == op]


def _mentions_failure(edge: Edge) -> bool:
    return "success" in _outcome_values(edge, "!=") or bool(
        {"fail", "retry", "partial_success"} & set(_outcome_values(edge))
    )


def _guards_class(edge: Edge) -> bool:
    return any(c.key in ("failure_class", "context.failure_class") for c in _clauses(edge))


def _is_agent(node: Node) -> bool:
    return node.type == NodeType.AGENT


def check_spec_lint(graph: Graph) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    sheet = graph.get("model_stylesheet")
    if sheet.strip():
        try:
            parse_stylesheet(sheet)
        except StylesheetError as exc:
            out.append(
                Diagnostic(
                    "stylesheet_syntax",
                    E,
                    f"model_stylesheet: {exc.message}",
                    "write rules as `selector { llm_model: x; llm_provider: y; }` (§8.2)",
                )
            )
    modes = ", ".join(FIDELITY_MODES)
    for key in ("default_fidelity", "context_fidelity_default"):
        value = graph.get(key).strip()
        if value and value not in FIDELITY_MODES:
            out.append(Diagnostic("fidelity_valid", W, f"graph {key}={value!r}", f"use {modes}"))
    for node in graph.nodes.values():
        value = node.get("fidelity").strip()
        if value and value not in FIDELITY_MODES:
            out.append(
                node_diagnostic(
                    "fidelity_valid", W, node, f"fidelity={value!r} on {node.id!r}", f"use {modes}"
                )
            )
        if _is_agent(node) and not (
            node.prompt.strip() or node.get("label").strip() or node.get("prompt_file").strip()
        ):
            out.append(
                node_diagnostic(
                    "prompt_on_llm_nodes",
                    W,
                    node,
                    f"agent node {node.id!r} has no prompt or label; its id is the prompt",
                    'add prompt="…" (or a label)',
                )
            )
    for edge in graph.edges:
        value = edge.attrs.get("fidelity", "").strip()
        if value and value not in FIDELITY_MODES:
            out.append(
                edge_diagnostic(
                    "fidelity_valid", W, edge, f"fidelity={value!r} on {edge.ref}", modes
                )
            )
    return out


def check_kilroy_lint(graph: Graph) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    exits = {n.id for n in graph.exit_nodes}
    starts = {n.id for n in graph.start_nodes}
    for node in graph.nodes.values():
        edges = graph.outgoing(node.id)
        if node.id.lower() in RESERVED_IDS:
            out.append(
                node_diagnostic(
                    "reserved_keyword_node_id",
                    W,
                    node,
                    f"node id {node.id!r} is a DOT keyword",
                    f"rename it, e.g. {node.id}_node",
                )
            )
        if node.get("prompt_file").strip() and node.prompt.strip():
            out.append(
                node_diagnostic(
                    "prompt_file_conflict",
                    E,
                    node,
                    f"node {node.id!r} sets both prompt_file and prompt",
                    "remove one of them",
                )
            )
        path = prompt_file_path(graph, node)
        if path is not None and graph.source and not path.is_file():
            out.append(
                node_diagnostic(
                    "prompt_file_exists",
                    E,
                    node,
                    f"prompt_file {path} of {node.id!r} does not exist",
                    "prompt_file is relative to the graph file",
                )
            )
        if node.flag("goal_gate"):
            if not (node.get("retry_target").strip() or node.get("fallback_retry_target").strip()):
                out.append(
                    node_diagnostic(
                        "goal_gate_missing_node_retry_target",
                        W,
                        node,
                        f"goal gate {node.id!r} has no node-level retry_target",
                        "add retry_target=… on the gate (the graph's is for transient failures)",
                    )
                )
            for edge in edges:
                values = _outcome_values(edge)
                if edge.target in exits and any(
                    v not in ("success", "partial_success") for v in values
                ):
                    out.append(
                        edge_diagnostic(
                            "goal_gate_exit_status_contract",
                            W,
                            edge,
                            f"goal gate {node.id!r} routes to an exit on a non-success outcome",
                            "route to the exit on outcome=success (or partial_success)",
                        )
                    )
        if node.type == NodeType.TOOL and re.search(r"cd\s+/", node.get("tool_command")):
            out.append(
                node_diagnostic(
                    "tool_command_abs_path",
                    W,
                    node,
                    f"tool_command of {node.id!r} changes to an absolute directory",
                    "drop the `cd /…`; the command runs in the run's worktree",
                )
            )
        for entry in filter(None, (e.strip() for e in node.get("escalation_models").split(","))):
            prov, _, model = entry.partition(":")
            if not prov.strip() or not model.strip():
                out.append(
                    node_diagnostic(
                        "escalation_models_syntax",
                        W,
                        node,
                        f"escalation_models entry {entry!r} on {node.id!r} is not provider:model",
                        'write e.g. "anthropic:claude-opus-4-6"',
                    )
                )
        if node.type == NodeType.CONDITIONAL and node.prompt.strip():
            out.append(
                node_diagnostic(
                    "prompt_on_conditional_node",
                    W,
                    node,
                    f"conditional node {node.id!r} has a prompt, which is never used",
                    "use shape=box if the prompt should run",
                )
            )
        if _is_agent(node):
            out += _agent_prompt_rules(graph, node, edges)
        if edges and node.id not in exits and node.id not in starts:
            out += _routing_rules(graph, node, edges, exits)
    return out


def _agent_prompt_rules(graph: Graph, node: Node, edges: list[Edge]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    resolved = resolve_model(graph, node)
    if resolved.get("llm_model") and not resolved.get("llm_provider"):
        out.append(
            node_diagnostic(
                "llm_provider_required",
                W,
                node,
                f"agent node {node.id!r}: llm_model={resolved['llm_model']} has no llm_provider "
                "and none can be inferred from the model id",
                "set llm_provider on the node or in model_stylesheet",
            )
        )
    prompt = node.prompt
    if _FIELD_CONFUSION.search(prompt):
        out.append(
            node_diagnostic(
                "status_outcome_field_confusion",
                E,
                node,
                f'prompt of {node.id!r} asks for {{"status": …, "outcome": …}}; '
                'only "status" routes',
                'write {"status": "<outcome>"} instead',
            )
        )
    required = {v for e in edges for v in _outcome_values(e) if v not in CANONICAL}
    written = {m.lower() for m in _STATUS_WRITE.findall(prompt)}
    if prompt.strip():
        for value in sorted(required - written):
            out.append(
                node_diagnostic(
                    "custom_outcome_coverage",
                    W,
                    node,
                    f"an edge of {node.id!r} needs outcome={value} but the prompt never asks "
                    f'for "status": "{value}"',
                    f'tell the agent when to report {{"status": "{value}"}}',
                )
            )
    return out


def _routing_rules(
    graph: Graph, node: Node, edges: list[Edge], exits: set[str]
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    conditional = [e for e in edges if e.condition]
    if len(conditional) == len(edges):
        positive = {v for e in edges for v in _outcome_values(e)}
        negative = {v for e in edges for v in _outcome_values(e, "!=")}
        if not all(e.target in exits for e in edges) and not positive & negative:
            out.append(
                node_diagnostic(
                    "all_conditional_edges",
                    W,
                    node,
                    f"every edge of {node.id!r} is conditional and the conditions are not "
                    "exhaustive: an outcome none of them matches ends the run there",
                    "add an unconditional fallback edge",
                )
            )
        if any(v not in CANONICAL for v in positive):
            out.append(
                node_diagnostic(
                    "orphan_custom_outcome_hint",
                    W,
                    node,
                    f"{node.id!r} routes on custom outcomes but has no unconditional fallback",
                    "add an unconditional edge for unexpected outcomes",
                )
            )
    if node.type == NodeType.CONDITIONAL:
        for edge in conditional:
            if (
                _mentions_failure(edge)
                and node.id in graph.reachable_from(edge.target)
                and not _guards_class(edge)
            ):
                out.append(
                    edge_diagnostic(
                        "fail_loop_failure_class_guard",
                        W,
                        edge,
                        f"failure loop {edge.ref} does not look at context.failure_class",
                        "split it into failure_class-aware routes (transient vs deterministic)",
                    )
                )
    return out


def check_unused_attributes(graph: Graph) -> list[Diagnostic]:
    """Info lines for attributes bosun accepts but does not act on (never silently)."""
    out: list[Diagnostic] = []
    for key in ("default_fidelity", "context_fidelity_default", "context_thread_default"):
        if graph.get(key):
            out.append(
                Diagnostic(
                    "accepted_not_used",
                    Severity.INFO,
                    f"graph {key} is accepted, not used by bosun: "
                    + ACCEPTED_NOT_USED.get(key, ACCEPTED_NOT_USED["fidelity"]),
                    "nothing to do; see docs/pipelines.md",
                )
            )
    for node in graph.nodes.values():
        for key, why in ACCEPTED_NOT_USED.items():
            if node.get(key).strip():
                out.append(
                    node_diagnostic(
                        "accepted_not_used",
                        Severity.INFO,
                        node,
                        f"{key} on {node.id!r} is accepted, not used by bosun: {why}",
                        "nothing to do; see docs/pipelines.md",
                    )
                )
    for edge in graph.edges:
        for key in ("fidelity", "thread_id"):
            if edge.attrs.get(key, "").strip():
                out.append(
                    edge_diagnostic(
                        "accepted_not_used",
                        Severity.INFO,
                        edge,
                        f"{key} on {edge.ref} is accepted, not used by bosun: "
                        + ACCEPTED_NOT_USED[key],
                        "nothing to do; see docs/pipelines.md",
                    )
                )
    return out
