"""Dashboard benchmark, measured in headless Chromium against a real `bosun dashboard`:

- state change → DOM latency (p50/p99) over ≥ 100 changes: isolated changes (250 ms apart,
  as a fleet changes) and back-to-back changes (the panel's 150 ms coalescing shows);
- initial page load with 200 agents and 50 runs in the store (cold and warm);
- server CPU while 50 SSE clients watch a burst of 10,000 events, and while they idle;
- a screenshot of a realistic scene (sim agents, a pipeline run, a landed merge) for docs/.

    .venv/bin/python bench/dashboard_bench.py [--changes 120]

Writes the `dashboard` section of docs/benchmarks.md and docs/screenshot-dashboard.png.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from _common import Figure, markdown_table, median, write_section  # noqa: E402
from bench_stats import summary  # noqa: E402
from dashboard_harness import (  # noqa: E402
    ARTIFACTS,
    INSTALL_PATCH_LISTENER,
    DashboardServer,
    chromium_context,
    patched_at,
)

from gitrepo import GIT_ENV, make_repo  # noqa: E402

os.environ.update(GIT_ENV)
SCREENSHOT = ROOT / "docs" / "screenshot-dashboard.png"


def new_project(base: Path, name: str) -> Path:
    from bosun.core.project import init_project

    root = make_repo(base / name)
    init_project(root, env={})
    return root


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
    if out.returncode != 0:
        raise RuntimeError(f"bosun {' '.join(args)}: {out.stderr or out.stdout}")
    return json.loads(out.stdout)


def open_page(page: Any, url: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("#conn.live", timeout=60_000)
    elapsed = time.perf_counter() - started
    page.evaluate(INSTALL_PATCH_LISTENER)
    return elapsed


def latency(page: Any, ctx: Any, changes: int, gap: float) -> list[float]:
    """ms from just before each committed change to the agents panel showing it."""
    from bosun.core.records import IdentityStatus

    samples = []
    for i in range(changes):
        status = IdentityStatus.CRASHED if i % 2 == 0 else IdentityStatus.ACTIVE
        started = time.time()
        ctx.identities.set_status("polecat", "bench", status, "bench")
        version = ctx.events.last_id()
        page.wait_for_function(
            "v => (window.__patches || []).some(p => p.panel === 'agents' && p.version >= v)",
            arg=version,
            timeout=30_000,
        )
        at = patched_at(page, "agents", version)
        assert at is not None
        samples.append(at - started * 1000)
        if gap:
            time.sleep(gap)
    return samples


def seed_fleet(root: Path, agents: int, runs: int) -> None:
    """`agents` identities with hooks and `runs` finished run directories, in the store."""
    import bosun.store.queries_pipeline  # noqa: F401
    from bosun.core.context import open_project

    ctx = open_project(root, env={})
    try:
        for i in range(agents):
            ctx.identities.create("polecat", f"a{i:03d}", runtime="sim", crew=i % 20 == 0)
            if i % 2 == 0:
                work = ctx.work.create(f"task {i}")
                ctx.hooks.pin("polecat", f"a{i:03d}", work.id)
        graph = (
            "digraph G { start [shape=Mdiamond]; plan; build; test; review; "
            "exit [shape=Msquare]; start -> plan -> build -> test -> review -> exit }"
        )
        for i in range(runs):
            run_id = f"run-{i:02d}"
            base = root / ".bosun" / "runs" / run_id
            base.mkdir(parents=True)
            done = ["start", "plan", "build", "test", "review", "exit"][: 2 + i % 5]
            (base / "manifest.json").write_text(
                json.dumps(
                    {"run_id": run_id, "graph": "g.dot", "started_at": f"2026-01-01T00:{i:02d}:00Z"}
                )
            )
            (base / "graph.dot").write_text(graph)
            (base / "checkpoint.json").write_text(
                json.dumps(
                    {
                        "run_id": run_id,
                        "next_node": None,
                        "completed_nodes": done,
                        "failed_nodes": ["test"] if i % 7 == 0 and "test" in done else [],
                    }
                )
            )
            (base / "final.json").write_text(
                json.dumps({"status": "success" if i % 7 else "fail", "run_id": run_id})
            )
            with ctx.store.transaction() as tx:
                tx.run(
                    "run_upsert",
                    run_id=run_id,
                    graph="g.dot",
                    logs_root=str(base),
                    status="success",
                    pid=None,
                    host="bench",
                    detached=0,
                )
    finally:
        ctx.close()


async def watch_burst(base: str, clients: int, last: int, ready: asyncio.Event) -> None:
    import httpx

    limits = httpx.Limits(max_connections=clients + 5, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=300) as client:
        opened = 0

        async def one() -> None:
            nonlocal opened
            async with client.stream("GET", "/events") as response:
                opened += 1
                if opened == clients:
                    ready.set()
                async for line in response.aiter_lines():
                    if line.startswith("id: ") and int(line[4:]) >= last:
                        return

        await asyncio.gather(*(one() for _ in range(clients)))


def cpu_under_burst(
    root: Path, server: DashboardServer, clients: int, burst: int
) -> dict[str, float]:
    from bosun.core.context import open_project

    ctx = open_project(root, env={})
    base = server.url.rstrip("/")
    result: dict[str, float] = {}

    async def scenario() -> None:
        ready = asyncio.Event()
        last = ctx.events.last_id() + burst
        watchers = asyncio.create_task(watch_burst(base, clients, last, ready))
        await asyncio.wait_for(ready.wait(), 120)
        idle_cpu = server.cpu_seconds()
        await asyncio.sleep(5)
        result["idle_cpu_pct"] = (server.cpu_seconds() - idle_cpu) / 5 * 100
        cpu = server.cpu_seconds()
        started = time.perf_counter()

        def emit() -> None:
            for _ in range(10):  # ten transactions of 1,000 events
                with ctx.store.transaction() as tx:
                    for i in range(burst // 10):
                        tx.emit("work.status", "bo-burst", {"i": i})

        await asyncio.to_thread(emit)
        await asyncio.wait_for(watchers, 300)
        wall = time.perf_counter() - started
        result["burst_wall_s"] = wall
        result["burst_cpu_s"] = server.cpu_seconds() - cpu

    try:  # in its own thread: Playwright's sync API owns this thread's event loop
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, scenario()).result()
    finally:
        ctx.close()
    return result


def screenshot_scene(base: Path, page: Any) -> None:
    """Sim agents (one crashed), a pipeline waiting on a node, a landed merge, a thread."""
    root = new_project(base, "scene")
    sock = f"bosun-bench-{secrets.token_hex(4)}"
    env = {"BOSUN_RUNTIME_TMUX_SOCKET": sock}
    pids: list[int] = []
    server = None
    try:
        for name, title in (
            ("toast", "Add the login page"),
            ("nux", "Fix flaky test"),
            ("slit", "Write the changelog"),
        ):
            work = bosun(root, "work", "create", title, env=env)
            bosun(root, "agent", "spawn", name, "--runtime", "sim", "--work", work["id"], env=env)
        bosun(root, "work", "create", "scratch: try a faster parser", "--wisp", env=env)
        bosun(root, "identity", "mark-crashed", "polecat", "nux", env=env)
        subprocess.run(["git", "checkout", "-q", "-b", "feature/login"], cwd=root, check=True)
        (root / "login.txt").write_text("login\n")
        subprocess.run(["git", "add", "login.txt"], cwd=root, check=True)
        subprocess.run(["git", "commit", "-q", "-m", "login page"], cwd=root, check=True)
        subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)
        bosun(root, "merge-queue", "enqueue", "feature/login", "--identity", "polecat/toast")
        bosun(root, "merge-queue", "process")
        thread = bosun(
            root,
            "thread",
            "create",
            "review the login page",
            "-p",
            "polecat/toast",
            "-p",
            "polecat/slit",
        )
        bosun(root, "thread", "post", thread["id"], "please review", "--as", "polecat/slit")
        bosun(
            root,
            "signal",
            "send",
            "polecat/slit",
            "NUDGE",
            "--payload",
            '{"why": "review requested"}',
        )
        graph = base / "pipeline.dot"
        graph.write_text(f"""digraph pipeline {{
          start [shape=Mdiamond]; exit [shape=Msquare]
          plan [shape=parallelogram, tool_command="true"]
          implement [shape=parallelogram, tool_command="true"]
          test [shape=parallelogram, tool_command="while [ ! -f {base}/go ]; do sleep 0.1; done"]
          review [shape=parallelogram, tool_command="true"]
          start -> plan -> implement -> test
          test -> review [condition="outcome=success"]
          test -> implement [condition="outcome=fail", label="fix"]
          review -> exit [condition="outcome=success"]
        }}""")
        launched = bosun(root, "run", str(graph), "--detach", "--run-id", "nightly-build")
        pids.append(int(launched["pid"]))
        server = DashboardServer(root, env)
        open_page(page, server.url)
        try:
            page.wait_for_selector(
                '#panel-runs svg g.node[id="node-test"].st-running', timeout=60_000
            )
        except Exception:
            print(json.dumps(bosun(root, "run", "status", "nightly-build"), indent=1)[:3000])
            print(page.locator("#panel-runs").inner_html()[:3000])
            raise
        page.set_viewport_size({"width": 1440, "height": 900})
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-scene.png"), full_page=True)
        shutil.copyfile(ARTIFACTS / "dashboard-scene.png", SCREENSHOT)
    finally:
        (base / "go").write_text("")
        if server is not None:
            server.stop()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, 9)
        from bosun.runtime.tmux_cli import remove_server

        remove_server(sock)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=120)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (for CI)")
    args = parser.parse_args()
    if args.quick:
        args.changes, args.clients, args.burst = 30, 10, 2_000
    figures: list[Figure] = []
    from bosun.core.context import open_project

    base = Path(tempfile.mkdtemp(prefix="bosun-dash-bench-"))
    rows: list[list[object]] = []
    try:
        with chromium_context() as browser:
            page = browser.new_page()
            # 1. latency
            root = new_project(base, "latency")
            ctx = open_project(root, env={})
            ctx.identities.create("polecat", "bench", runtime="sim")
            server = DashboardServer(root)
            try:
                open_page(page, server.url)
                isolated = summary(latency(page, ctx, args.changes, 0.25))
                back_to_back = summary(latency(page, ctx, args.changes, 0.0))
            finally:
                server.stop()
                ctx.close()
            figures.append(
                Figure("state change → DOM p50 (isolated changes)", isolated["p50"], "ms", "< 1000")
            )
            figures.append(
                Figure("state change → DOM p99 (isolated changes)", isolated["p99"], "ms", "< 1000")
            )
            for label, s in (
                ("isolated changes (250 ms apart)", isolated),
                ("back-to-back changes", back_to_back),
            ):
                rows.append(
                    [
                        f"state change → DOM, {label}",
                        f"{s['n']:.0f}",
                        f"p50 {s['p50']:.0f} ms · p99 {s['p99']:.0f} ms (max {s['max']:.0f})",
                    ]
                )
            # 2. page load with 200 agents and 50 runs
            root = new_project(base, "fleet")
            seed_fleet(root, 200, 50)
            server = DashboardServer(root)
            try:
                cold = open_page(page, server.url)
                warm = [open_page(page, server.url) for _ in range(5)]
                agents_shown = page.locator("#panel-agents tr[data-agent]").count()
                runs_shown = page.locator("#panel-runs tr[data-run]").count()
                rows.append(
                    [
                        "page load, 200 agents + 50 runs (to live feed)",
                        "1 cold, 5 warm",
                        f"cold {cold * 1000:.0f} ms · warm median "
                        f"{median(warm) * 1000:.0f} ms ({agents_shown} agent rows, "
                        f"{runs_shown} run rows shown)",
                    ]
                )
                figures.append(Figure("page load, 200 agents + 50 runs (cold)", cold * 1000, "ms"))
                # 3. CPU with 50 SSE clients and a burst
                cpu = cpu_under_burst(root, server, args.clients, args.burst)
                figures.append(
                    Figure(f"server CPU, {args.clients} SSE clients idle", cpu["idle_cpu_pct"], "%")
                )
                rows.append(
                    [
                        f"server CPU, {args.clients} SSE clients idle",
                        "5 s",
                        f"{cpu['idle_cpu_pct']:.1f}% of one core",
                    ]
                )
                rows.append(
                    [
                        f"server CPU, {args.clients} SSE clients, burst of {args.burst:,} events",
                        "1 burst",
                        f"{cpu['burst_cpu_s'] * 1000:.0f} ms CPU; every client had the "
                        f"last event after {cpu['burst_wall_s'] * 1000:.0f} ms",
                    ]
                )
            finally:
                server.stop()
            # 4. the screenshot for docs/
            screenshot_scene(base, browser.new_page())
    finally:
        shutil.rmtree(base, ignore_errors=True)
    table = markdown_table(["measurement", "samples", "result"], rows)
    print(table)
    write_section(
        "dashboard",
        "Dashboard",
        "python bench/dashboard_bench.py",
        table + "\n\nLatency is wall-clock from just before a change commits to the browser's "
        "`bosun:patched` event for the panel showing it (one reader polls the event log "
        "every 50 ms; a panel is refetched at most every 150 ms). CPU is the dashboard "
        "process's user+system time from /proc.\n\n"
        "![the dashboard](screenshot-dashboard.png)",
        summary=figures,
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
