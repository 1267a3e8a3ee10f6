"""A pipeline run's graph with each node coloured by its status: SVG through Graphviz `dot`
when it is installed, a plain text list when it is not (or when `dot` fails).

Node statuses come from the run directory's checkpoint.json: completed nodes carry their
last outcome, failed nodes `fail`, the node the engine is on `running`, the rest `pending`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bosun.base.errors import BosunError
from bosun.pipeline.dot import parse_dot
from bosun.pipeline.handlers.registry import NODE_TYPES
from bosun.web.panels._html import badge, esc

DOT_TIMEOUT = 10.0
COLOURS = {  # fill, border
    "success": ("#bbf7d0", "#15803d"),
    "partial_success": ("#d9f99d", "#4d7c0f"),
    "running": ("#bfdbfe", "#1d4ed8"),
    "retry": ("#fed7aa", "#c2410c"),
    "fail": ("#fecaca", "#b91c1c"),
    "pending": ("#f3f4f6", "#9ca3af"),
}
# shapes drawn as they are (the node types' `drawn_shapes`); any other shape is a box
DRAWN_SHAPES = frozenset(shape for kind in NODE_TYPES for shape in kind.drawn_shapes)
_CACHE: OrderedDict[str, str] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 128


@dataclass(frozen=True)
class RunGraph:
    nodes: tuple[tuple[str, str, str], ...]  # (id, label, shape)
    edges: tuple[tuple[str, str, str], ...]  # (source, target, label)
    statuses: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "nodes": [
                {"id": n, "label": label, "shape": shape, "status": self.statuses.get(n, "pending")}
                for n, label, shape in self.nodes
            ],
            "edges": [{"from": s, "to": t, "label": label} for s, t, label in self.edges],
        }


def node_statuses(
    checkpoint: dict[str, Any], running: bool, completions: Sequence[tuple[str, str, str]] = ()
) -> dict[str, str]:
    """Each visited node's status from a checkpoint (pure).

    `completions` are (iso time, node, status) of `run.node_completed` events: the engine
    records them just before it writes the checkpoint, so one newer than the checkpoint
    tells what the checkpoint does not know yet.
    """
    statuses: dict[str, str] = {}
    outcomes = checkpoint.get("last_outcomes") or {}
    for node in checkpoint.get("completed_nodes") or []:
        outcome = outcomes.get(node) or {}
        statuses[node] = str(outcome.get("status") or "success")
    for node in checkpoint.get("failed_nodes") or []:
        statuses[node] = "fail"
    upcoming = checkpoint.get("next_node")
    if running and upcoming:
        statuses[upcoming] = "running"
    written = str(checkpoint.get("timestamp") or "")
    for at, node, status in completions:
        if at > written:
            statuses[node] = status
    return statuses


def load_run_graph(
    base: Path, running: bool, completions: Sequence[tuple[str, str, str]] = ()
) -> RunGraph | None:
    """The run's own copy of its graph with node statuses; None without a readable graph."""
    try:
        graph = parse_dot((base / "graph.dot").read_text(encoding="utf-8"), str(base))
    except (OSError, UnicodeDecodeError, BosunError):
        return None
    try:
        checkpoint = json.loads((base / "checkpoint.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        checkpoint = {}
    if not isinstance(checkpoint, dict):
        checkpoint = {}
    return RunGraph(
        nodes=tuple((n.id, n.label, n.shape) for n in graph.nodes.values()),
        edges=tuple((e.source, e.target, e.label) for e in graph.edges),
        statuses=node_statuses(checkpoint, running, completions),
    )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: RunGraph) -> str:
    lines = [
        "digraph run {",
        '  graph [rankdir=LR, bgcolor="transparent", fontname="Helvetica", nodesep=0.25, '
        "ranksep=0.35];",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, '
        "height=0.3, penwidth=1.4];",
        '  edge [color="#9ca3af", arrowsize=0.6, fontname="Helvetica", fontsize=8, '
        'fontcolor="#6b7280"];',
    ]
    for node_id, label, shape in graph.nodes:
        status = graph.statuses.get(node_id, "pending")
        fill, border = COLOURS.get(status, COLOURS["pending"])
        keep = shape if shape in DRAWN_SHAPES else "box"
        lines.append(
            f"  {_quote(node_id)} [id={_quote('node-' + node_id)}, "
            f"class={_quote('st-' + status)}, label={_quote(label)}, shape={keep}, "
            f"fillcolor={_quote(fill)}, color={_quote(border)}];"
        )
    for source, target, label in graph.edges:
        extra = f" [label={_quote(label)}]" if label else ""
        lines.append(f"  {_quote(source)} -> {_quote(target)}{extra};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_text: str) -> str:
    """SVG from DOT through `dot -Tsvg` (cached by source); raises OSError when it cannot."""
    with _CACHE_LOCK:
        if dot_text in _CACHE:
            _CACHE.move_to_end(dot_text)
            return _CACHE[dot_text]
    exe = shutil.which("dot")
    if exe is None:
        raise OSError("Graphviz `dot` is not installed")
    try:
        out = subprocess.run(
            [exe, "-Tsvg"],
            input=dot_text.encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OSError(f"dot took longer than {DOT_TIMEOUT:.0f}s") from exc
    if out.returncode != 0:
        raise OSError("dot failed: " + out.stderr.decode("utf-8", "replace").strip()[:200])
    text = out.stdout.decode("utf-8", "replace")
    start = text.find("<svg")
    if start < 0:
        raise OSError("dot printed no SVG")
    svg = re.sub(r"<!--.*?-->", "", text[start:], flags=re.S)
    svg = '<svg class="run-graph"' + svg[len("<svg") :]  # keeps dot's natural size
    with _CACHE_LOCK:
        _CACHE[dot_text] = svg
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return svg


def render_text(graph: RunGraph, why: str = "") -> str:
    """The fallback: each node with its status and where it leads."""
    outgoing: dict[str, list[str]] = {}
    for source, target, _ in graph.edges:
        outgoing.setdefault(source, []).append(target)
    items = []
    for node_id, label, _ in graph.nodes:
        status = graph.statuses.get(node_id, "pending")
        to = ", ".join(outgoing.get(node_id, [])) or "end"
        title = label if label != node_id else ""
        items.append(
            f'<li id="node-{esc(node_id)}" class="st-{esc(status)}" data-status="{esc(status)}">'
            f"{badge(status, 'st-' + status)} <b>{esc(node_id)}</b>"
            + (f" {esc(title)}" if title else "")
            + f" \u2192 {esc(to)}</li>"
        )
    if why and shutil.which("dot") is None:
        note = (
            '<p class="note graphviz-missing">Graphviz is not installed, so the graph is shown '
            "as text. Install it for the drawn graph: <code>apt-get install graphviz</code> "
            "(Debian, Ubuntu), <code>dnf install graphviz</code> (Fedora) or "
            "<code>brew install graphviz</code> (macOS), then reload.</p>"
        )
    else:
        note = f'<p class="note">text view: {esc(why)}</p>' if why else ""
    return f'{note}<ol class="graph-text">{"".join(items)}</ol>'


def render_graph(graph: RunGraph) -> str:
    """SVG when `dot` works, else the text view saying why."""
    try:
        return render_svg(to_dot(graph))
    except OSError as exc:
        return render_text(graph, str(exc))
