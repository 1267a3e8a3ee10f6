"""Transforms applied to a parsed graph before it runs (spec §9.2): `prompt_file` becomes
the node's prompt, read relative to the graph file (Kilroy's rule; setting both `prompt`
and `prompt_file` is the `prompt_file_conflict` error)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bosun.base.errors import InvalidInput
from bosun.pipeline.graph import Graph, Node


def prompt_file_path(graph: Graph, node: Node) -> Path | None:
    raw = node.get("prompt_file").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_absolute() and graph.source:
        path = Path(graph.source).parent / path
    return path


def apply_prompt_files(graph: Graph) -> Graph:
    """The graph with every `prompt_file` read into `prompt`."""
    changed: dict[str, Node] = {}
    for node in graph.nodes.values():
        path = prompt_file_path(graph, node)
        if path is None or node.prompt:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                f"node {node.id!r}: cannot read prompt_file {path}: {exc}",
                "prompt_file is relative to the graph file",
            ) from exc
        changed[node.id] = replace(node, attrs={**node.attrs, "prompt": text})
    if not changed:
        return graph
    nodes = {nid: changed.get(nid, node) for nid, node in graph.nodes.items()}
    return Graph(graph.name, graph.attrs, nodes, graph.edges, graph.source)
