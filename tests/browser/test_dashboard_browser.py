"""The dashboard in headless Chromium against a real `bosun dashboard`, a real project and
real sim agents in tmux: what a person sees change, asserted in the DOM.

The crash → red → green path runs twice: through `bosun supervise` (the agent's process is
killed; the supervisor detects the crash and seance-restarts it), and through the CLI
(`bosun identity mark-crashed`, then `bosun agent restart`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_stats import summary
from dashboard_harness import INSTALL_PATCH_LISTENER, DashboardServer, patched_at

TIMEOUT_MS = 30_000


def bosun(root: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "bosun", *args, "--json"],
        cwd=root,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, f"bosun {' '.join(args)}: {out.stderr or out.stdout}"
    return json.loads(out.stdout)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def open_page(page: Any, server: DashboardServer) -> None:
    page.goto(server.url)
    page.evaluate(INSTALL_PATCH_LISTENER)
    page.wait_for_selector("#conn.live", timeout=TIMEOUT_MS)


def agent_row(name: str, liveness: str) -> str:
    return f'tr[data-agent="polecat/{name}"][data-liveness="{liveness}"]'


def test_agents_go_red_on_a_crash_and_green_again_after_a_restart(
    project: Path, agent_env: dict[str, str], page: Any, artifacts: Path
) -> None:
    for name in ("toast", "nux"):
        work = bosun(project, "work", "create", f"task for {name}", env=agent_env)
        bosun(
            project, "agent", "spawn", name, "--runtime", "sim", "--work", work["id"], env=agent_env
        )
    server = DashboardServer(project, agent_env)
    try:
        open_page(page, server)
        for name in ("toast", "nux"):
            page.wait_for_selector(agent_row(name, "green"), timeout=TIMEOUT_MS)
        row = page.locator('tr[data-agent="polecat/toast"]')
        assert "sim" in row.inner_text() and "assigned" in row.inner_text()

        bosun(project, "identity", "mark-crashed", "polecat", "toast", env=agent_env)
        page.wait_for_selector(agent_row("toast", "red"), timeout=TIMEOUT_MS)
        assert "crashed" in page.locator('tr[data-agent="polecat/toast"]').inner_text()
        assert page.locator(agent_row("nux", "green")).count() == 1

        bosun(project, "agent", "restart", "toast", env=agent_env)
        page.wait_for_selector(agent_row("toast", "green"), timeout=TIMEOUT_MS)
        cells = page.locator('tr[data-agent="polecat/toast"] td').all_inner_texts()
        assert cells[8:10] == ["2", "1"]  # incarnation 2, one restart
        assert page.problems == []
    finally:
        assert "Traceback" not in server.stop()


def test_a_pipeline_node_changes_colour_when_it_completes(
    project: Path, tmp_path: Path, page: Any, dashboard: DashboardServer, pids: list[int]
) -> None:
    go = tmp_path / "go"
    graph = tmp_path / "g.dot"
    graph.write_text(f"""digraph G {{
      start [shape=Mdiamond]; exit [shape=Msquare]
      wait [shape=parallelogram, tool_command="while [ ! -f {go} ]; do sleep 0.05; done"]
      start -> wait
      wait -> exit [condition="outcome=success"]
    }}""")
    open_page(page, dashboard)
    launched = bosun(project, "run", str(graph), "--detach", "--run-id", "d1")
    pids.append(int(launched["pid"]))
    node = '#panel-runs svg g.node[id="node-wait"]'
    page.wait_for_selector(f"{node}.st-running", timeout=60_000)
    assert (
        page.locator('#panel-runs svg g.node[id="node-start"]').get_attribute("class")
        == "node st-success"
    )
    go.write_text("")
    page.wait_for_selector(f"{node}.st-success", timeout=60_000)
    page.wait_for_selector('#panel-runs tr[data-run="d1"] .badge.success', timeout=60_000)
    fill = page.locator(f"{node} path, {node} polygon").first.get_attribute("fill")
    assert fill == "#bbf7d0"
    assert page.problems == []


def test_the_merge_queue_panel_shows_a_merge_landing(
    project: Path, page: Any, dashboard: DashboardServer
) -> None:
    git(project, "checkout", "-q", "-b", "feature")
    (project / "feature.txt").write_text("a feature\n")
    git(project, "add", "feature.txt")
    git(project, "commit", "-q", "-m", "add a feature")
    git(project, "checkout", "-q", "main")
    open_page(page, dashboard)
    request = bosun(project, "merge-queue", "enqueue", "feature")
    row = f'#panel-merge-queue tr[data-request="{request["id"]}"]'
    page.wait_for_selector(f'{row}[data-status="queued"]', timeout=TIMEOUT_MS)
    bosun(project, "merge-queue", "process")
    page.wait_for_selector(f'{row}[data-status="merged"]', timeout=TIMEOUT_MS)
    assert git(project, "show", "main:feature.txt") == "a feature"
    landed = page.locator(f"{row} td").nth(5).inner_text()
    assert landed and git(project, "rev-parse", "main").startswith(landed)
    assert "1 landed" in page.locator("#panel-merge-queue .summary").inner_text()
    assert page.problems == []


def test_state_change_to_dom_latency_and_a_full_page_screenshot(
    project: Path, page: Any, dashboard: DashboardServer, artifacts: Path
) -> None:
    from bosun.core.context import open_project

    ctx = open_project(project, env={})
    try:
        open_page(page, dashboard)
        latencies = []
        for i in range(30):
            started = time.time()
            ctx.work.create(f"change {i}")
            version = ctx.events.last_id()
            page.wait_for_function(
                "v => (window.__patches || []).some(p => p.panel === 'work' && p.version >= v)",
                arg=version,
                timeout=TIMEOUT_MS,
            )
            at = patched_at(page, "work", version)
            assert at is not None
            latencies.append(at / 1000 - started)
        assert page.locator("#panel-work tr[data-work]").count() == 30
        page.wait_for_function(
            f"() => document.querySelector('#panel-events li[data-event=\"{version}\"]')",
            timeout=TIMEOUT_MS,
        )
    finally:
        ctx.close()
    stats = summary([x * 1000 for x in latencies])
    (artifacts / "dashboard-latency.json").write_text(
        json.dumps(
            {"changes": len(latencies), "ms": stats, "samples_ms": [x * 1000 for x in latencies]},
            indent=2,
        )
    )
    print(f"\nstate change → DOM latency over {len(latencies)} changes (ms): {stats}")
    assert len(latencies) == 30 and all(x > 0 for x in latencies)
    page.screenshot(path=str(artifacts / "dashboard-full.png"), full_page=True)
    assert (artifacts / "dashboard-full.png").stat().st_size > 10_000
    assert page.problems == []


def test_a_burst_of_10000_events_keeps_the_page_responsive(
    project: Path, page: Any, dashboard: DashboardServer
) -> None:
    from bosun.core.context import open_project

    open_page(page, dashboard)
    fetches: list[str] = []
    page.on("request", lambda r: fetches.append(r.url) if "/panels/" in r.url else None)
    ctx = open_project(project, env={})
    try:
        with ctx.store.transaction() as tx:
            for i in range(10_000):
                tx.emit("work.status", "bo-burst", {"i": i})
        last = ctx.events.last_id()
    finally:
        ctx.close()
    page.wait_for_selector(f'#panel-events li[data-event="{last}"]', timeout=60_000)
    assert page.evaluate("() => document.querySelectorAll('#panel-events li').length") <= 100
    assert page.evaluate("() => 1 + 1") == 2  # the page still answers
    work_fetches = [u for u in fetches if "/panels/work" in u]
    assert 1 <= len(work_fetches) <= 10, len(work_fetches)
    assert page.problems == []


RECORD_LIVENESS = """() => {
  window.__liveness = [];
  document.addEventListener('bosun:patched', (e) => {
    if (e.detail.panel !== 'agents') return;
    const row = document.querySelector('tr[data-agent="polecat/toast"]');
    if (row) window.__liveness.push(row.dataset.liveness);
  });
}"""


def test_the_supervisor_restarts_a_crashed_sim_agent_red_then_green(
    project: Path, agent_env: dict[str, str], page: Any, pids: list[int]
) -> None:
    """The real path: the sim agent's process dies and its row turns red; `bosun supervise`
    (started once the red row is on screen, so the red state cannot be too short to see)
    detects the dead session and seance-restarts it: green, incarnation 2."""
    work = bosun(project, "work", "create", "task for toast", env=agent_env)
    spawned = bosun(
        project,
        "agent",
        "spawn",
        "toast",
        "--runtime",
        "sim",
        "--work",
        work["id"],
        env=agent_env,
    )
    server = DashboardServer(project, agent_env)
    supervisor: subprocess.Popen[bytes] | None = None
    try:
        open_page(page, server)
        page.wait_for_selector(agent_row("toast", "green"), timeout=TIMEOUT_MS)
        page.evaluate(RECORD_LIVENESS)
        os.kill(int(spawned["pid"]), 9)  # the agent's process dies
        page.wait_for_function("() => (window.__liveness || []).includes('red')", timeout=60_000)
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "bosun", "supervise", "--no-merge-queue"],
            cwd=project,
            env={**os.environ, **agent_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        pids.append(supervisor.pid)
        page.wait_for_function(
            "() => { const l = window.__liveness || []; const r = l.indexOf('red');"
            " return r >= 0 && l.slice(r).includes('green'); }",
            timeout=120_000,
        )
        cells = page.locator('tr[data-agent="polecat/toast"] td').all_inner_texts()
        assert int(cells[8]) >= 2  # a new incarnation
        assert page.problems == []
    finally:
        err = server.stop()
        if supervisor is not None:
            os.killpg(supervisor.pid, 15)
            try:
                supervisor.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(supervisor.pid, 9)
                supervisor.wait(timeout=30)
    assert "Traceback" not in err
