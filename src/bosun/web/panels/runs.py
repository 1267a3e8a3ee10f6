"""Pipeline runs: status, current node, and one run's graph with nodes coloured by status.

`runs` are the rows of `bosun run list --json`; `selected` is `bosun run status --json` of
the chosen run (`?run=ID`, else the newest running one, else the newest) plus its graph."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.base.errors import NotFound
from bosun.pipeline import runs as pipeline
from bosun.web.graph import RunGraph, load_run_graph, render_graph, render_svg, to_dot
from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import badge, esc, more, table

if TYPE_CHECKING:
    from bosun.web.view import View

LIVE = frozenset({"running", "starting"})


def list_runs(view: View) -> list[dict[str, Any]]:
    if view.runs_dir is None:
        return []
    return pipeline.list_runs(view.runs_dir, view.ctx, limit=view.rows)


def run_detail(view: View, run_id: str) -> dict[str, Any]:
    """`bosun run status --json` of one run plus `graph`; NotFound for an unknown id."""
    if view.runs_dir is None:
        raise NotFound(f"no run {run_id!r}", "list runs with `bosun run list`")
    base = pipeline.find_run(run_id, view.runs_dir, view.ctx)
    if not base.is_dir():
        raise NotFound(f"no run {run_id!r}", "its run directory is gone")
    status = pipeline.run_status(base)
    status.pop("final", None)
    graph = load_run_graph(
        Path(base), status["status"] in LIVE, _completions(view, status["run_id"])
    )
    status["graph_nodes"] = graph.to_json() if graph else None
    return status


def run_svg(view: View, run_id: str) -> str:
    """The run's graph as SVG; NotFound for an unknown run, no graph, or no `dot`."""
    detail = run_detail(view, run_id)
    graph = load_run_graph(
        Path(detail["logs_root"]), detail["status"] in LIVE, _completions(view, run_id)
    )
    if graph is None:
        raise NotFound(f"run {run_id} has no readable graph.dot", "see `bosun run status`")
    try:
        return render_svg(to_dot(graph))
    except OSError as exc:
        raise NotFound(
            f"no SVG for run {run_id}: {exc}", "install Graphviz (`apt-get install graphviz`)"
        ) from exc


def _completions(view: View, run_id: str) -> list[tuple[str, str, str]]:
    """(iso time, node, status) of the run's `run.node_completed` events."""
    events = view.ctx.events.tail(200, kind="run.node_completed", subject=run_id)
    return [(iso(e.ts) or "", str(e.data.get("node")), str(e.data.get("status"))) for e in events]


def _choose(runs: list[dict[str, Any]], wanted: str | None) -> str | None:
    ids = [r["run_id"] for r in runs]
    if wanted in ids:
        return wanted
    for r in runs:
        if r["status"] in LIVE:
            return str(r["run_id"])
    return ids[0] if ids else None


def data(view: View, params: Mapping[str, str]) -> Data:
    runs = list_runs(view)
    chosen = _choose(runs, params.get("run"))
    selected = None
    if chosen is not None:
        try:
            selected = run_detail(view, chosen)
        except NotFound:
            selected = None
    live = sum(1 for r in runs if r["status"] in LIVE)
    return {
        "runs": runs,
        "selected": selected,
        "summary": f"{live} running · {len(runs)} total" if runs else "no runs",
    }


def _graph_html(selected: dict[str, Any]) -> str:
    nodes = selected.get("graph_nodes")
    if not nodes:
        return '<p class="empty">no readable graph.dot in this run directory</p>'
    graph = RunGraph(
        nodes=tuple((n["id"], n["label"], n["shape"]) for n in nodes["nodes"]),
        edges=tuple((e["from"], e["to"], e["label"]) for e in nodes["edges"]),
        statuses={n["id"]: n["status"] for n in nodes["nodes"]},
    )
    return render_graph(graph)


def render(d: Data) -> str:
    runs = d["runs"]
    selected = d["selected"]
    chosen = selected["run_id"] if selected else None
    shown = runs[:30]
    cells = [
        [
            f'<a href="?run={esc(r["run_id"])}" data-select-run="{esc(r["run_id"])}">'
            f"{esc(r['run_id'])}</a>",
            badge(r["status"])
            + (badge("waiting for a person") if r.get("waiting_for_human") else ""),
            esc(r.get("current_node") or "-"),
            esc(r.get("started_at") or "-"),
            esc(r.get("failure_reason") or ""),
        ]
        for r in shown
    ]
    attrs = [
        f'data-run="{esc(r["run_id"])}"' + (' class="selected"' if r["run_id"] == chosen else "")
        for r in shown
    ]
    parts = [
        table(
            ("run", "status", "node", "started", "why"),
            cells,
            row_attrs=attrs,
            empty="no pipeline runs",
        )
    ]
    parts.append(more(len(shown), len(runs)))
    if selected:
        parts.append(
            f'<div class="graph" data-graph-run="{esc(chosen)}">'
            f"<h3>{esc(chosen)} {badge(selected['status'])} "
            f"<small>{esc(selected.get('graph') or '')}</small></h3>"
            f"{_gate_html(selected)}{_graph_html(selected)}</div>"
        )
    return "".join(parts)


def _gate_html(selected: dict[str, Any]) -> str:
    """The question a run waits on, its choices, and how to answer."""
    gate = selected.get("waiting_for_human")
    if not gate:
        return ""
    keys = gate.get("keys") or [""] * len(gate.get("choices") or [])
    choices = "".join(
        f"<li>{'[' + esc(k) + '] ' if k else ''}{esc(c)}</li>"
        for k, c in zip(keys, gate.get("choices") or [], strict=False)
    )
    command = f"bosun run answer {selected['run_id']} {gate.get('node_id')} CHOICE"
    return (
        f'<div class="waiting-gate"><p>waiting for a person at '
        f"<b>{esc(gate.get('node_id'))}</b>: {esc(gate.get('question'))}</p>"
        f"<ul>{choices}</ul><p><code>{esc(command)}</code></p></div>"
    )


PANEL = register(
    Panel(
        name="runs",
        title="Pipeline runs",
        order=20,
        kinds=("run.",),
        data=data,
        render=render,
        params=("run",),
        wide=True,
    )
)
