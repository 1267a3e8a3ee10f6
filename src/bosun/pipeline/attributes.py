"""The attribute vocabulary of the DOT dialect: which graph, node and edge attributes a
graph may set without an `unknown_attribute` warning."""

from __future__ import annotations

from bosun.pipeline.handlers.registry import NODE_TYPES

VISUAL = {
    "label",
    "color",
    "fillcolor",
    "style",
    "fontname",
    "fontsize",
    "fontcolor",
    "width",
    "height",
    "tooltip",
    "penwidth",
    "xlabel",
    "group",
    "margin",
    "comment",
    "id",
    "URL",
    "href",
    "peripheries",
    "fixedsize",
    "orientation",
    "sides",
    "regular",
    "rank",
}
GRAPH_ATTRS = VISUAL | {
    "goal",
    "model_stylesheet",
    "default_max_retries",
    "default_max_retry",
    "retry_target",
    "fallback_retry_target",
    "default_fidelity",
    "max_restarts",
    "loop_restart_signature_limit",
    "loop_restart_persist_keys",
    "max_node_visits",
    "max_goal_gate_retries",
    "allow_completed_with_failures",
    "failed_stages_at_exit",
    "stall_timeout",
    # bosun's own: the runtime preset and merge target of agent nodes (node or graph)
    "runtime",
    "merge_target",
    # model defaults (§8.5: the graph attribute is the stylesheet's fallback)
    "llm_model",
    "llm_provider",
    "reasoning_effort",
    "max_tokens",
    # Kilroy's
    "retries_before_escalation",
    "provenance_version",
    "inputs",
    "outputs",
    "thread_id",
    "rankdir",
    "splines",
    "nodesep",
    "ranksep",
    "bgcolor",
    "compound",
    "concentrate",
    "newrank",
    "ordering",
    "pad",
    "size",
    "ratio",
    "labelloc",
    "labeljust",
    "context_fidelity_default",
    "context_thread_default",
    "mode",  # the agent nodes' run mode: supervised | headless (a node's own `mode` wins)
}
COMMON_NODE_ATTRS = VISUAL | {
    "shape",
    "type",
    "node_type",
    "max_retries",
    "goal_gate",
    "retry_target",
    "fallback_retry_target",
    "fidelity",
    "thread_id",
    "class",
    "timeout",
    "auto_status",
    "allow_partial",
    "outputs",
    "merge_target",
    "question",
    # Kilroy's, accepted and reported as not used (`accepted_not_used`)
    "agent_mode",
    "agent_tool",
    "loop_id",
    "loop_count",
    "loop_max",
    "loop_until_file",
    "loop_until_file_contains",
    "loop_while_outcome",
    "concurrent_id",
}
# every node attribute a node type reads is declared by that type (`NodeKind.attributes`)
NODE_ATTRS = COMMON_NODE_ATTRS | {a for kind in NODE_TYPES for a in kind.attributes}
EDGE_ATTRS = VISUAL | {
    "condition",
    "weight",
    "fidelity",
    "thread_id",
    "loop_restart",
    "arrowhead",
    "arrowtail",
    "dir",
    "constraint",
    "headport",
    "tailport",
    "minlen",
}

KNOWN_PREFIXES = ("retry.backoff.", "manager.", "stack.", "tool_hooks.", "git.", "x.", "meta.")


def known_attribute(key: str, allowed: set[str]) -> bool:
    return key in allowed or key.startswith(KNOWN_PREFIXES)
