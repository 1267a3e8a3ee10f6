"""Model selection and run mode of an agent node: which runtime preset runs it, with which
model, and whether it runs supervised (an interactive session) or headless (print mode).

The model and provider are the ones `bosun.pipeline.stylesheet.resolve_model` resolves
(node attribute > model stylesheet > graph attribute; a provider left open is inferred from
the model id). A node whose provider the configured preset does not serve runs on a preset
that serves it (the model catalog's `presets`), so `llm_provider="openai"` (or just
`llm_model="gpt-5"`) runs Codex even where `chain.runtime` is claude. The supervised chain
hands the model to its session as `BOSUN_LLM_MODEL` (`stylesheet.model_env`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bosun.base.errors import BosunError, InvalidInput
from bosun.pipeline.catalog import load_catalog
from bosun.pipeline.stylesheet import resolve_model

if TYPE_CHECKING:
    from bosun.base.config import Config
    from bosun.pipeline.graph import Graph, Node

MODES = ("supervised", "headless")


def node_model(node: Node, graph: Graph) -> str:
    """The model an agent node asks for ("" = the CLI's default)."""
    return resolve_model(graph, node).get("llm_model", "")


def node_provider(node: Node, graph: Graph) -> str:
    return resolve_model(graph, node).get("llm_provider", "")


def provider_presets(provider: str, catalog_path: str = "") -> tuple[str, ...]:
    """The runtime presets that serve `provider` in the model catalog (none when unknown)."""
    try:
        catalog = load_catalog(catalog_path)
    except BosunError:
        return ()
    spec = catalog.providers.get(catalog.provider(provider))
    return tuple(spec["presets"]) if spec else ()


def node_runtime(node: Node, graph: Graph, config: Config | None) -> str:
    """The node's `runtime`, the graph's, else the configured chain.runtime — unless the
    node names a provider that preset does not serve: then the provider's first preset."""
    explicit = (node.get("runtime") or graph.get("runtime")).strip()
    if explicit:
        return explicit
    default = config.text("chain.runtime") if config is not None else "claude"
    provider = node_provider(node, graph)
    if not provider:
        return default
    catalog = (config.optional_text("pipeline.model_catalog") or "") if config else ""
    served_by = provider_presets(provider, catalog)
    return default if not served_by or default in served_by else served_by[0]


def node_mode(node: Node, graph: Graph, config: Config | None) -> str:
    """`supervised` or `headless`: the node's `mode`, the graph's, else chain.mode."""
    default = config.text("chain.mode") if config is not None else "supervised"
    mode = (node.get("mode") or graph.get("mode") or default).strip().lower()
    if mode not in MODES:
        raise InvalidInput(
            f"agent node {node.id!r}: mode={mode!r} is not a run mode",
            'use mode="supervised" (an interactive session) or mode="headless" (print mode)',
        )
    return mode
