"""Trouble at a glance, at 50 agents, in headless Chromium against a real `bosun dashboard`:
the terminal UI's attention order and colours, sorting and search, no inner scrollbar, a
feed that is current after a reload, the Graphviz note, and a phone-sized layout.

One sim agent really waits at a permission prompt in tmux; the other 49 are recorded
identities in the states an operator meets (quarantined, escalated, crashed, gone, done).
Screenshots go to a temporary directory (and to test-artifacts/ for a person to look at).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_harness import DashboardServer

from bosun.core.context import Context, open_project
from bosun.core.identities import IdentityStatus

TIMEOUT_MS = 60_000
AMBER = "rgb(245, 158, 11)"
RED = "rgb(220, 38, 38)"
GREY = "rgb(156, 163, 175)"
ASK = """```bosun-task
{"steps": [{"phase": "executing"}, {"permission": "push the branch"},
           {"phase": "impl_complete"}]}
```"""


def bosun(root: Path, *args: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "bosun", *args, "--json"],
        cwd=root, env={**os.environ, **env}, capture_output=True, text=True, timeout=180,
        check=False,
    )  # fmt: skip
    assert out.returncode == 0, f"bosun {' '.join(args)}: {out.stderr or out.stdout}"
    return out.stdout


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def fleet(project: Path, agent_env: dict[str, str]) -> Iterator[Context]:
    """50 agents: polecat/asker waits at a permission prompt; the rest are recorded."""
    work = bosun(project, "work", "create", "Ask first", "--body", ASK, env=agent_env)
    import json

    work_id = json.loads(work)["id"]
    bosun(project, "agent", "spawn", "asker", "--runtime", "sim", "--work", work_id, env=agent_env)
    ctx = open_project(project, env={**os.environ, **agent_env})
    ids = ctx.identities
    for i in range(49):
        name = f"worker-{i:02d}"
        ids.create("polecat", name, runtime="sim")
        if i % 7 == 0:
            ids.set_status("polecat", name, IdentityStatus.QUARANTINED, "too many restarts")
        elif i % 5 == 0:
            ids.set_status("polecat", name, IdentityStatus.TERMINATED, "stopped")
        elif i % 11 == 0:
            ids.set_status("polecat", name, IdentityStatus.CRASHED, "exit 1")
    ids.create("bosun", "operator")
    ctx.signals.send("bosun/operator", "ESCALATION", {"identity": "polecat/worker-01"})
    try:
        yield ctx
    finally:
        ctx.close()


def wait_for_waiting(page: Any, server: DashboardServer) -> None:
    page.goto(server.url)
    page.wait_for_selector("#conn.live", timeout=TIMEOUT_MS)
    page.wait_for_selector(
        'tr[data-agent="polecat/asker"][data-attention="waiting"]', timeout=TIMEOUT_MS
    )


def rows(page: Any) -> list[dict[str, str]]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('#panel-agents tbody tr'))
            .filter(r => getComputedStyle(r).display !== 'none')
            .map(r => ({agent: r.dataset.agent, level: r.dataset.attention,
                        rank: r.dataset.rank, text: r.innerText}))"""
    )


def colour(page: Any, selector: str) -> str:
    return str(page.eval_on_selector(selector, "el => getComputedStyle(el).backgroundColor"))


def test_trouble_comes_first_in_the_tui_colours_at_50_agents(
    project: Path, agent_env: dict[str, str], fleet: Context, page: Any, shots: Path,
    artifacts: Path,
) -> None:  # fmt: skip
    server = DashboardServer(project, agent_env)
    try:
        wait_for_waiting(page, server)
        shown = rows(page)
        assert len(shown) == 50
        assert shown[0]["agent"] == "polecat/asker" and shown[0]["level"] == "waiting"
        assert "push the branch" in shown[0]["text"] or "prompt" in shown[0]["text"]
        ranks = [int(r["rank"]) for r in shown]
        assert ranks == sorted(ranks)
        levels = {r["agent"]: r["level"] for r in shown}
        assert levels["polecat/worker-01"] == "escalated"
        assert levels["polecat/worker-07"] == "escalated"  # quarantined
        assert levels["polecat/worker-22"] == "crashing"  # crashed
        assert levels["polecat/worker-05"] == "done"  # terminated
        assert colour(page, 'tr[data-agent="polecat/asker"] .dot') == AMBER
        assert colour(page, 'tr[data-agent="polecat/worker-07"] .dot') == RED
        assert colour(page, 'tr[data-agent="polecat/worker-05"] .dot') == GREY
        # A quarantined agent's status badge is not a calm green.
        badge = 'tr[data-agent="polecat/worker-07"] td:nth-child(5) .badge'
        assert page.eval_on_selector(badge, "el => el.className") == "badge att-escalated"
        # No inner scrollbar: the panel is as tall as its 50 rows.
        body = page.eval_on_selector(
            "#panel-agents .body", "el => [el.scrollHeight, el.clientHeight]"
        )
        assert body[0] <= body[1] + 1, body
        page.screenshot(path=str(shots / "dashboard-50.png"), full_page=True)
        shutil.copy(shots / "dashboard-50.png", artifacts / "dashboard-attention-50.png")
        assert (shots / "dashboard-50.png").stat().st_size > 20_000
        assert page.problems == []
    finally:
        assert "Traceback" not in server.stop()


def test_agents_sort_by_name_and_activity_and_search_filters_them(
    project: Path, agent_env: dict[str, str], fleet: Context, page: Any, shots: Path
) -> None:
    server = DashboardServer(project, agent_env)
    try:
        wait_for_waiting(page, server)
        page.select_option("#panel-agents .agent-sort", "name")
        names = [r["agent"] for r in rows(page)]
        assert names == sorted(names)
        page.select_option("#panel-agents .agent-sort", "activity")
        assert len(rows(page)) == 50
        page.fill("#panel-agents .agent-search", "quarantined")
        found = rows(page)
        assert {r["agent"] for r in found} == {f"polecat/worker-{i:02d}" for i in range(0, 49, 7)}
        assert "7 of 50 agents" in page.inner_text("#panel-agents .toolbar .shown")
        # A live patch of the panel keeps the search and the sort.
        fleet.identities.set_status("polecat", "worker-03", IdentityStatus.QUARANTINED, "test")
        page.wait_for_selector(
            'tr[data-agent="polecat/worker-03"][data-attention="escalated"]:not(.filtered)',
            timeout=TIMEOUT_MS,
        )
        assert len(rows(page)) == 8
        assert page.input_value("#panel-agents .agent-search") == "quarantined"
        page.screenshot(path=str(shots / "dashboard-search.png"), full_page=True)
        page.select_option("#panel-agents .agent-sort", "attention")
        page.fill("#panel-agents .agent-search", "")
        assert rows(page)[0]["agent"] == "polecat/asker"
        assert page.problems == []
    finally:
        assert "Traceback" not in server.stop()


def test_the_feed_is_current_after_a_reload(
    project: Path, agent_env: dict[str, str], page: Any
) -> None:
    server = DashboardServer(project, agent_env)
    ctx = open_project(project, env={**os.environ, **agent_env})
    try:
        page.goto(server.url)
        page.wait_for_selector("#conn.live", timeout=TIMEOUT_MS)
        for i in range(5):
            ctx.work.create(f"after the first load {i}")
        last = ctx.events.last_id()
        page.wait_for_selector(f'#panel-events li[data-event="{last}"]', timeout=TIMEOUT_MS)
        page.reload()
        page.wait_for_selector("#conn.live", timeout=TIMEOUT_MS)
        first = page.eval_on_selector("#panel-events ol.feed li", "el => el.dataset.event")
        assert int(first) == last
        assert f"last #{last}" in page.inner_text("#panel-events .summary")
        assert page.problems == []
    finally:
        ctx.close()
        assert "Traceback" not in server.stop()


def path_without_dot(tmp_path: Path) -> str:
    """A PATH with every program of the current one except Graphviz's `dot`."""
    bin_dir = tmp_path / "bin-without-dot"
    bin_dir.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not Path(folder).is_dir():
            continue
        for program in Path(folder).iterdir():
            target = bin_dir / program.name
            if program.name != "dot" and not target.exists():
                target.symlink_to(program)
    return str(bin_dir)


def test_without_graphviz_the_runs_panel_says_how_to_install_it(
    project: Path, agent_env: dict[str, str], page: Any, tmp_path: Path, pids: list[int],
    shots: Path,
) -> None:  # fmt: skip
    graph = tmp_path / "g.dot"
    graph.write_text("digraph G { start [shape=Mdiamond]; exit [shape=Msquare]; start -> exit }")
    bosun(project, "run", str(graph), "--run-id", "nodot", env=agent_env)
    server = DashboardServer(project, {**agent_env, "PATH": path_without_dot(tmp_path)})
    try:
        page.goto(server.url)
        page.wait_for_selector("#conn.live", timeout=TIMEOUT_MS)
        note = page.wait_for_selector("#panel-runs .note.graphviz-missing", timeout=TIMEOUT_MS)
        assert note is not None
        text = note.inner_text()
        assert "Graphviz is not installed" in text and "apt-get install graphviz" in text
        assert page.locator('#panel-runs li[id="node-start"]').count() == 1  # the text view
        page.locator("#panel-runs").screenshot(path=str(shots / "runs-without-graphviz.png"))
        assert page.problems == []
    finally:
        assert "Traceback" not in server.stop()


def test_on_a_phone_the_page_fits_the_screen_and_trouble_stays_visible(
    project: Path, agent_env: dict[str, str], fleet: Context, page: Any, shots: Path,
    artifacts: Path,
) -> None:  # fmt: skip
    page.set_viewport_size({"width": 390, "height": 844})
    server = DashboardServer(project, agent_env)
    try:
        wait_for_waiting(page, server)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width}px"
        table = page.eval_on_selector("#panel-agents table", "el => el.scrollWidth")
        assert table <= 390
        assert page.locator('tr[data-agent="polecat/asker"] .dot').is_visible()
        assert page.locator('tr[data-agent="polecat/asker"] td:nth-child(3) .badge').is_visible()
        assert page.locator("#panel-agents .agent-search").is_visible()
        page.screenshot(path=str(shots / "dashboard-phone.png"), full_page=False)
        shutil.copy(shots / "dashboard-phone.png", artifacts / "dashboard-phone.png")
        assert page.problems == []
    finally:
        assert "Traceback" not in server.stop()
