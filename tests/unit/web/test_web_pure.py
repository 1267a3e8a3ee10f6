"""The dashboard's pure parts: liveness colours, node statuses, the binding rule, the
token file, the kind → panel map and the graph's text fallback."""

from __future__ import annotations

import html
import stat
from pathlib import Path

import pytest

from bosun.web.graph import RunGraph, node_statuses, render_graph, render_text, to_dot
from bosun.web.liveness import Liveness, liveness
from bosun.web.panels import KindMap, all_panels
from bosun.web.security import is_loopback, load_or_create_token, needs_token
from bosun.web.view import Thresholds

LIMITS = Thresholds(yellow_after=60, red_after=300)


@pytest.mark.parametrize(
    ("status", "state", "age", "builtin", "colour"),
    [
        ("active", "ready", 1, False, Liveness.GREEN),
        ("active", "busy", 59, False, Liveness.GREEN),
        ("active", "busy", 60, False, Liveness.YELLOW),
        ("stale", "busy", 10, False, Liveness.YELLOW),
        ("active", "busy", 300, False, Liveness.RED),
        ("crashed", "ready", 1, False, Liveness.RED),
        ("quarantined", "not running", 1, False, Liveness.RED),
        ("active", "dead", 1, False, Liveness.RED),
        ("active", "not running", 1, False, Liveness.RED),
        ("terminated", "not running", 9999, False, Liveness.GREY),
        ("handed_off", "not running", 1, False, Liveness.GREY),
        ("active", "not running", 9999, True, Liveness.GREY),
        ("crashed", "not running", 1, True, Liveness.RED),
    ],
)
def test_liveness_colour_follows_status_session_and_last_seen_age(
    status: str, state: str, age: float, builtin: bool, colour: Liveness
) -> None:
    assert liveness(status, state, age, LIMITS, builtin=builtin)[0] is colour


def test_node_statuses_come_from_the_checkpoint_and_newer_completions() -> None:
    checkpoint = {
        "completed_nodes": ["start", "build", "test"],
        "failed_nodes": ["test"],
        "last_outcomes": {"build": {"status": "partial_success"}},
        "next_node": "deploy",
        "timestamp": "2026-01-01T00:00:05.000Z",
    }
    assert node_statuses(checkpoint, running=True) == {
        "start": "success",
        "build": "partial_success",
        "test": "fail",
        "deploy": "running",
    }
    assert "deploy" not in node_statuses(checkpoint, running=False)
    completions = [
        ("2026-01-01T00:00:04.000Z", "test", "success"),  # older: ignored
        ("2026-01-01T00:00:06.000Z", "deploy", "success"),
    ]
    statuses = node_statuses(checkpoint, True, completions)
    assert statuses["test"] == "fail" and statuses["deploy"] == "success"


def test_the_graph_is_svg_with_a_class_per_status_or_text_without_dot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    graph = RunGraph(
        nodes=(("start", "start", "Mdiamond"), ('a"b', 'say "hi"', "box")),
        edges=(("start", 'a"b', "go"),),
        statuses={"start": "success", 'a"b': "running"},
    )
    svg = html.unescape(render_graph(graph))  # as the DOM reads it: dot writes &#45;
    assert svg.startswith('<svg class="run-graph"')
    assert 'id="node-start"' in svg and "st-success" in svg and "st-running" in svg
    assert "<script" not in svg and "<!--" not in svg
    assert '\\"hi\\"' in to_dot(graph)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere: the text view says why
    text = render_graph(RunGraph(nodes=(("x", "<b>", "box"),), edges=(), statuses={}))
    assert "Graphviz is not installed" in text and "apt-get install graphviz" in text
    assert (
        'class="st-pending"' in text
        and "&lt;b&gt;" in text
        and "<b>" not in text.replace("<b>x</b>", "")
    )
    assert render_text(graph).count("<li") == 2


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.2.1", "localhost", "::1", "[::1]"])
def test_loopback_addresses_need_no_token(host: str) -> None:
    assert is_loopback(host) and not needs_token(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.com", ""])
def test_any_other_address_needs_the_token(host: str) -> None:
    assert needs_token(host)


def test_the_token_is_made_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / ".bosun" / "dashboard.token"
    token, created = load_or_create_token(path)
    assert created and len(token) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again, created_again = load_or_create_token(path)
    assert (again, created_again) == (token, False)
    path.chmod(0o644)  # loosened by hand: tightened again on use
    load_or_create_token(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("short\n")  # not a token bosun made: replaced
    fresh, made = load_or_create_token(path)
    assert made and fresh != token


def test_event_kinds_map_to_the_panels_that_show_them() -> None:
    kinds = KindMap(all_panels())
    assert kinds("merge.landed") == {"merge-queue", "events"}
    assert kinds("run.node_completed") == {"runs", "events"}
    assert kinds("identity.status") == {"agents", "signals", "events"}
    assert "recovery" in kinds("supervisor.recovery_escalated")
    assert "agents" in kinds("supervisor.recovery_started")
    assert "agents" in kinds("claude.notification")  # an agent starts waiting
    assert kinds("nothing.here") == {"events"}  # the feed goes stale on every event
    names = [p.name for p in all_panels()]
    assert names[0] == "agents" and len(names) == len(set(names))
    assert {
        "agents",
        "runs",
        "merge-queue",
        "work",
        "signals",
        "recovery",
        "resume-queue",
        "guards",
        "threads",
        "commitments",
        "events",
    } <= set(names)


def test_the_runs_panel_shows_a_run_waiting_for_a_person() -> None:
    from bosun.web.panels.runs import render

    gate = {
        "node_id": "review_gate",
        "question": "Review Changes",
        "choices": ["[A] Approve", "[F] Fix"],
        "keys": ["A", "F"],
    }
    run = {"run_id": "r1", "status": "running", "waiting_for_human": gate, "logs_root": "/x"}
    html = render({"runs": [run], "selected": {**run, "graph_nodes": None}, "summary": ""})
    assert "waiting for a person" in html
    assert "Review Changes" in html and "[F] Fix" in html
    assert "bosun run answer r1 review_gate CHOICE" in html


def test_the_merge_queue_panel_shows_how_to_approve_a_request_awaiting_approval() -> None:
    from bosun.web.panels.merge_queue import render

    request = {
        "id": "mr-1a2b3c",
        "status": "awaiting_approval",
        "branch": "bosun/toast",
        "target": "main",
        "identity": "polecat/toast",
        "batch_id": None,
        "landed": None,
        "reason": None,
    }
    html = render({"requests": [request], "targets": [], "batch_mode": "1"})
    assert 'class="badge awaiting_approval"' in html
    assert "bosun mr approve mr-1a2b3c" in html
