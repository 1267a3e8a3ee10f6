"""Agent (codergen) nodes: the node type, without an implementation.

The pipeline engine cannot run an agent by itself: the caller registers the handler (the
CLI registers the layered chain's `bosun.chain.handler.SupervisedAgentHandler`, which
subclasses `AgentNode`). A run whose registry has no agent handler fails such a node
clearly (structural, so it is not retried) instead of pretending.
"""

from __future__ import annotations

from bosun.pipeline.nodetypes import NodeKind, NodeType


class AgentNode(NodeKind):
    name = NodeType.AGENT
    shapes = ("box",)  # also the type of a node whose shape no type claims
    aliases = ("codergen",)
    attributes = (
        "prompt",
        "llm_prompt",
        "prompt_file",
        "llm_model",
        "llm_provider",
        "reasoning_effort",
        "max_tokens",
        "max_agent_turns",
        "runtime",
        "mode",
        "escalation_models",
    )
