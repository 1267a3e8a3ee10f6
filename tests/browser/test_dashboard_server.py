"""`bosun dashboard` as a user runs it (no browser): the token on a non-loopback address,
bad input, and 200 simultaneous SSE clients against one real server."""

from __future__ import annotations

import asyncio
import json
import socket
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from dashboard_harness import DashboardServer

from waiting import wait_for


def run_bosun(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bosun", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_non_loopback_address_makes_the_token_once_and_requires_it(project: Path) -> None:
    server = DashboardServer(project, host="0.0.0.0")
    try:
        info = server.info
        token_file = Path(info["token_file"])
        assert info["token_required"] is True and token_file == project / ".bosun" / (
            "dashboard.token"
        )
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert info["token"] == token_file.read_text().strip()
        base = f"http://127.0.0.1:{info['port']}"
        assert httpx.get(base + "/api/status").status_code == 401
        wrong = httpx.get(base + "/api/status", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json() == {
            "error": {"code": "unauthorized", "message": "unauthorized"}
        }
        ok = httpx.get(base + "/api/status", headers={"Authorization": f"Bearer {info['token']}"})
        assert ok.status_code == 200
        with httpx.Client() as browser:
            link = browser.get(f"{base}/?token={info['token']}", follow_redirects=True)
            assert link.status_code == 200 and "bosun" in link.text
            assert browser.get(base + "/api/panels/work").status_code == 200
    finally:
        server.stop()
    again = DashboardServer(project, host="0.0.0.0")
    try:
        assert "token" not in again.info  # printed once; the file keeps it
        assert again.info["token_file"] == str(token_file)
    finally:
        again.stop()


def test_bad_ports_and_hosts_are_refused_with_a_hint(project: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        port = busy.getsockname()[1]
        taken = run_bosun(project, "dashboard", "--port", str(port))
        assert taken.returncode == 1
        assert f"port {port} on 127.0.0.1 is in use" in taken.stderr
        assert "--port" in taken.stderr
    finally:
        busy.close()
    out_of_range = run_bosun(project, "dashboard", "--port", "70000", "--json")
    assert out_of_range.returncode == 2
    assert json.loads(out_of_range.stdout)["error"]["message"] == "port 70000 is out of range"
    bad_host = run_bosun(project, "dashboard", "--host", "no.such.host.invalid")
    assert bad_host.returncode == 2 and "cannot bind" in bad_host.stderr
    assert not (project / ".bosun" / "dashboard.token").exists()


async def _watch_all(
    base: str, n: int, ready: asyncio.Event, target: list[int], got: list[int]
) -> None:
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        opened = 0

        async def one() -> None:
            nonlocal opened
            async with client.stream("GET", "/events") as response:
                assert response.status_code == 200
                opened += 1
                if opened == n:
                    ready.set()
                async for line in response.aiter_lines():
                    if line.startswith("id: ") and target and int(line[4:]) >= target[0]:
                        got.append(1)
                        return

        await asyncio.gather(*(one() for _ in range(n)))


def test_200_simultaneous_sse_clients_keep_the_server_responsive(project: Path) -> None:
    server = DashboardServer(project)
    try:
        base = server.url.rstrip("/")
        ready = asyncio.Event()
        target: list[int] = []
        got: list[int] = []
        result: dict[str, float] = {}

        async def scenario() -> None:
            watchers = asyncio.create_task(_watch_all(base, 200, ready, target, got))
            await asyncio.wait_for(ready.wait(), 120)
            async with httpx.AsyncClient(base_url=base, timeout=60) as probe:
                status = (await probe.get("/api/status")).json()
                assert status["clients"] == 200
                target.append(status["last_event_id"] + 1)  # the change made below
                started = time.monotonic()
                page = await probe.get("/")
                result["page_s"] = time.monotonic() - started
                assert page.status_code == 200
            work = await asyncio.to_thread(
                run_bosun, project, "work", "create", "fan out", "--json"
            )
            assert work.returncode == 0, work.stderr
            await asyncio.wait_for(watchers, 120)

        # in its own thread: a session's Playwright may own this thread's event loop
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, scenario()).result()
        assert len(got) == 200  # every client saw the change
        print(f"\nthe page rendered in {result['page_s'] * 1000:.0f} ms with 200 clients watching")
        wait_for(
            lambda: httpx.get(base + "/api/status").json()["clients"] == 0,
            timeout=60,
            what="all 200 subscribers to be released",
        )
        assert httpx.get(base + "/api/status").json()["read_errors"] == 0
    finally:
        err = server.stop()
    assert "Traceback" not in err and "ERROR" not in err, err
