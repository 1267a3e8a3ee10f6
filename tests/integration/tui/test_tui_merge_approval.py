"""`bosun tui` approves a merge request held by `require_approval` with `bosun mr approve`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from bosun.core.context import open_project
from bosun.tui.app import FleetApp
from bosun.tui.screens import Confirm
from gitrepo import git


def _bosun(project: Path, *args: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(
        [sys.executable, "-m", "bosun", *args, "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


def test_p_approves_the_merge_request_awaiting_approval(project: Path) -> None:
    config = project / ".bosun" / "config.toml"
    config.write_text(config.read_text() + "\n[merge_queue]\nrequire_approval = true\n")
    git(project, "checkout", "-q", "-b", "feat/x")
    (project / "x.txt").write_text("x\n")
    git(project, "add", "x.txt")
    git(project, "commit", "-q", "-m", "x")
    git(project, "checkout", "-q", "main")
    request = _bosun(project, "merge-queue", "enqueue", "feat/x")
    assert request["status"] == "awaiting_approval"
    ctx = open_project(project)

    async def main() -> None:
        app = FleetApp(ctx, refresh=0.5, probe=False)
        async with app.run_test(size=(200, 50)) as pilot:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while not any(m.status == "awaiting_approval" for m in app.snapshot.merges):
                assert loop.time() < deadline, f"not shown: {app.snapshot.merges}"
                await pilot.pause(0.1)
            await pilot.press("p")
            assert isinstance(app.screen, Confirm)
            await pilot.press("y")
            done = f"approve merge {request['id']}: done"
            while not any(done in o for o in app.outcomes):
                assert loop.time() < deadline, f"not approved: {app.outcomes}"
                await pilot.pause(0.1)

    try:
        asyncio.run(main())
        shown = _bosun(project, "merge-queue", "show", request["id"])
        assert shown["status"] == "queued"
        [approved] = ctx.events.since(0, kind="merge.approved")
        assert approved.data["by"].startswith("operator")
    finally:
        ctx.close()
