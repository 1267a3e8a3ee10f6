"""The dashboard's HTTP surface in-process: every panel's JSON (the CLI's shapes), the error
envelope, the token, the security headers, read-only methods and the page itself."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from webkit import BASE, dashboard_client

from bosun.web.security import COOKIE, CSP

TOKEN = "t" * 43


def populate(project: Path, ctx: Any) -> dict[str, Any]:
    """One of everything the panels show, written through the real services."""
    from bosun.core.threads import Threads
    from bosun.mergequeue.queue import MergeQueue
    from bosun.supervisor.guards import report_guard
    from bosun.supervisor.policies.detect import Condition
    from bosun.supervisor.policies.ladder import Outcome, Strategy
    from bosun.supervisor.policies.patrol import Compliance, ComplianceResult
    from bosun.supervisor.recovery_log import (
        begin_attempt,
        mark_delivered,
        record_nudge,
        record_response,
        settle_attempt,
    )

    ctx.identities.create("polecat", "toast", runtime="sim")
    ctx.identities.create("crew", "ada", runtime="sim", crew=True)
    work = ctx.work.create("Add the login page")
    wisp = ctx.work.create("scratch note", wisp=True)
    ctx.hooks.pin("polecat", "toast", work.id)
    ctx.signals.send("polecat/toast", "NUDGE", {"why": "keep going"}, sender="crew/ada")
    ctx.signals.send(
        "crew/ada", "ESCALATION", {"reason": "stuck on review"}, sender="polecat/toast"
    )
    with ctx.store.transaction() as tx:
        attempt = begin_attempt(tx, "polecat/toast", Condition.CRASHED, Strategy.SEANCE_RESTART, 0)
        settle_attempt(tx, attempt.id, Outcome.ESCALATED, "gave up after 3 restarts")
        nudge = record_nudge(tx, "polecat/toast", "continue your hook", work_id=work.id)
        mark_delivered(tx, nudge.id)
        record_response(tx, nudge.id, ComplianceResult(Compliance.COMPLIED, {"phase": "x"}, tx.now))
        report_guard(tx, "patrol", "host-a", enabled=True, cadence=30.0)
    subprocess.run(["git", "branch", "feature", "main"], cwd=project, check=True)
    request, _ = MergeQueue(ctx).enqueue("feature", identity="polecat/toast")
    thread = Threads(ctx).create("review", ["polecat/toast", "crew/ada"])
    Threads(ctx).post(thread.id, "please look", author="crew/ada")
    run = project / ".bosun" / "runs" / "r1"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({"run_id": "r1", "graph": "g.dot"}))
    (run / "graph.dot").write_text(
        "digraph G { start [shape=Mdiamond]; build; exit [shape=Msquare]; start -> build -> exit }"
    )
    (run / "checkpoint.json").write_text(
        json.dumps(
            {
                "run_id": "r1",
                "next_node": None,
                "current_node": "exit",
                "completed_nodes": ["start", "build", "exit"],
                "failed_nodes": [],
            }
        )
    )
    (run / "final.json").write_text(json.dumps({"status": "success", "run_id": "r1"}))
    return {"work": work, "wisp": wisp, "request": request, "thread": thread}


def cli(project: Path, *args: str) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "bosun", *args, "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr or out.stdout
    return json.loads(out.stdout)


def test_every_panel_returns_its_data_in_the_shapes_of_the_cli(project: Path) -> None:
    with dashboard_client(project) as (client, ctx):
        made = populate(project, ctx)
        listed = client.get("/api/panels").json()
        assert [p["name"] for p in listed][:3] == ["agents", "runs", "merge-queue"]
        data = {p["name"]: client.get(f"/api/panels/{p['name']}").json() for p in listed}
    agents = {a["identity"]: a for a in data["agents"]["agents"]}
    assert set(agents) == {"polecat/toast", "crew/ada"}
    assert agents["crew/ada"]["crew"] is True
    # enqueued (merge_ready): the hook holding the work item follows it
    assert agents["polecat/toast"]["phase"] == "merge_ready"
    assert agents["polecat/toast"]["liveness"] == "red"  # active, but no live session
    assert agents["polecat/toast"]["attention"]["level"] == "crashing"
    cli_agents = {a["identity"]: a for a in cli(project, "agent", "list")}
    extra = {"liveness", "liveness_reason", "attention", "last_activity_age_s"}
    volatile = {"last_seen_age_s", "state", *extra}
    for ref, row in agents.items():
        assert set(row) - extra == set(cli_agents[ref])
        assert {k: v for k, v in row.items() if k not in volatile} == {
            k: v for k, v in cli_agents[ref].items() if k not in volatile
        }
    assert data["work"]["items"] == cli(project, "work", "list")
    assert data["work"]["wisps_hidden"] == 1
    assert [r["id"] for r in data["merge-queue"]["requests"]] == [made["request"].id]
    assert data["merge-queue"]["requests"] == cli(project, "merge-queue", "list", "--all")
    cli_guards = cli(project, "guards")["guards"]
    assert [(g["guard"], g["host"], g["posture"]) for g in data["guards"]["guards"]] == [
        (g["guard"], g["host"], g["posture"]) for g in cli_guards
    ]
    assert [set(g) for g in data["guards"]["guards"]] == [set(g) for g in cli_guards]
    assert data["runs"]["runs"][0]["run_id"] == "r1"
    nodes = {n["id"]: n["status"] for n in data["runs"]["selected"]["graph_nodes"]["nodes"]}
    assert nodes == {"start": "success", "build": "success", "exit": "success"}
    assert {s["type"] for s in data["signals"]["signals"]} == {"NUDGE", "ESCALATION"}
    assert {e["kind"] for e in data["signals"]["escalations"]} == {"escalated", "signal"}
    assert data["recovery"]["attempts"][0]["outcome"] == "escalated"
    assert data["recovery"]["nudges"][0]["response"] == "complied"
    assert data["threads"]["threads"][0]["id"] == made["thread"].id
    assert data["threads"]["threads"][0]["unread"] == [
        {"participant": "polecat/toast", "unread": 1}
    ]
    assert data["resume-queue"]["entries"] == []
    assert data["commitments"]["commitments"] == []
    assert data["events"]["events"][0]["kind"] == "thread.message"


def test_wisps_are_shown_only_when_asked(project: Path) -> None:
    with dashboard_client(project) as (client, ctx):
        ctx.work.create("real work")
        ctx.work.create("a wisp", wisp=True)
        hidden = client.get("/api/panels/work").json()
        shown = client.get("/api/panels/work?wisps=1").json()
        page = client.get("/panels/work?wisps=1").text
    assert [w["title"] for w in hidden["items"]] == ["real work"]
    assert sorted(w["title"] for w in shown["items"]) == ["a wisp", "real work"]
    assert 'data-params="wisps=1"' in page and "wisp</span>" in page


def test_one_run_and_its_svg(project: Path) -> None:
    with dashboard_client(project) as (client, ctx):
        populate(project, ctx)
        run = client.get("/api/runs/r1")
        svg = client.get("/api/runs/r1/graph.svg")
    assert run.status_code == 200 and run.json()["status"] == "success"
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert "st&#45;success" in svg.text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/runs/nope", "no run 'nope'"),
        ("/api/runs/nope/graph.svg", "no run 'nope'"),
        ("/api/agents/polecat/nobody", "no agent polecat/nobody"),
        ("/api/panels/nothing", "no panel 'nothing'"),
        ("/panels/nothing", "no panel 'nothing'"),
        ("/no/such/page", "no such page"),
        ("/static/missing.js", "no such page"),
    ],
)
def test_unknown_ids_get_the_404_envelope(project: Path, path: str, message: str) -> None:
    with dashboard_client(project) as (client, _):
        response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": message}}


@pytest.mark.parametrize(
    "path",
    ["/api/runs/a..b", "/api/agents/Bad Role/x", "/api/events?since=-4", "/events?since=abc"],
)
def test_malformed_ids_get_a_400_envelope(project: Path, path: str) -> None:
    with dashboard_client(project) as (client, _):
        response = client.get(path)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message"}


def test_it_is_read_only(project: Path) -> None:
    with dashboard_client(project) as (client, ctx):
        ctx.work.create("keep me")
        before = ctx.events.last_id()
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = client.request(method, "/api/panels/work")
            assert response.status_code == 405
            assert response.json()["error"]["code"] == "method_not_allowed"
        assert ctx.events.last_id() == before


def test_every_response_carries_the_security_headers(project: Path) -> None:
    with dashboard_client(project) as (client, _):
        responses = [
            client.get(p)
            for p in ("/", "/api/status", "/static/dashboard.js", "/static/dashboard.css", "/nope")
        ]
        responses.append(client.post("/api/status"))
    for response in responses:
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert "unsafe-inline" not in CSP and "default-src 'self'" in CSP


def test_the_page_has_no_inline_script_style_or_handler_and_no_cdn(project: Path) -> None:
    with dashboard_client(project) as (client, ctx):
        populate(project, ctx)
        page = client.get("/").text
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script src="/static/dashboard.js" defer>']
    assert not re.search(r"<script[^>]*>[^<]", page)
    assert not re.search(r"\sstyle\s*=", page)
    assert not re.search(r"\son[a-z]+\s*=", page)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    for panel in (
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
    ):
        assert f'id="panel-{panel}"' in page
    assert 'data-agent="polecat/toast"' in page and "<svg" in page


def test_a_page_elsewhere_cannot_read_a_loopback_dashboard(project: Path) -> None:
    with dashboard_client(project) as (client, _):
        assert client.get("/api/status").status_code == 200
        assert client.get("/api/status", headers={"host": "localhost:8899"}).status_code == 200
        evil = client.get("/api/status", headers={"host": "evil.example:8899"})
    assert evil.status_code == 403
    assert evil.json()["error"]["code"] == "forbidden_host"


def test_with_a_token_every_route_needs_it_and_a_bad_one_leaks_nothing(project: Path) -> None:
    unauthorized = {"error": {"code": "unauthorized", "message": "unauthorized"}}
    with dashboard_client(project, token=TOKEN) as (client, _):
        for path in ("/", "/api/status", "/events", "/static/dashboard.js", "/nope", "/api/runs/x"):
            response = client.get(path, headers={"host": "203.0.113.7:8899"})
            assert response.status_code == 401, path
            assert response.json() == unauthorized
        for bad in (
            {"authorization": "Bearer wrong"},
            {"authorization": f"Basic {TOKEN}"},
            {"cookie": f"{COOKIE}=wrong"},
        ):
            assert client.get("/api/status", headers=bad).json() == unauthorized
        assert client.get("/?token=wrong", follow_redirects=False).json() == unauthorized
        ok = client.get("/api/status", headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json()["token_required"] is True


def test_the_one_time_token_link_sets_a_cookie_and_drops_the_token(project: Path) -> None:
    with dashboard_client(project, token=TOKEN) as (client, _):
        link = client.get(f"/?token={TOKEN}&run=r1", follow_redirects=False)
        assert link.status_code == 303
        assert link.headers["location"] == "/?run=r1"
        cookie = link.headers["set-cookie"]
        assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        page = client.get("/")  # the client keeps the cookie
        assert page.status_code == 200 and TOKEN not in page.text
        client.cookies.clear()
        assert client.get("/").status_code == 401


def test_panels_are_computed_once_per_change_not_per_request(project: Path) -> None:
    with dashboard_client(project) as (client, ctx):
        ctx.work.create("first")
        from waiting import wait_for

        wait_for(
            lambda: client.get("/api/status").json()["last_event_id"] == ctx.events.last_id(),
            timeout=30,
        )
        client.get("/api/panels/work")
        before = client.get("/api/status").json()["computations"]
        for _ in range(20):
            client.get("/api/panels/work")
            client.get("/panels/work")
        assert client.get("/api/status").json()["computations"] == before
        ctx.work.create("second")
        wait_for(lambda: len(client.get("/api/panels/work").json()["items"]) == 2, timeout=30)
        assert client.get("/api/status").json()["computations"] > before


def test_the_api_base_url_is_loopback() -> None:
    assert BASE.startswith("http://127.0.0.1:")
