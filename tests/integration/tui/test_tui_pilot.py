"""`bosun tui` driven by Textual's pilot against a real project: sim agents in tmux on their
own socket, every action a real `bosun` command."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from bosun.core.context import Context, open_project
from bosun.tui.app import FleetApp
from bosun.tui.screens import TextView
from clirunner import Bosun

ASK = """```bosun-task
{"steps": [{"phase": "executing"},
           {"write": {"path": "asked.txt", "content": "allowed\\n"}},
           {"commit": "add asked.txt"},
           {"permission": "push the branch"},
           {"phase": "impl_complete"}]}
```"""


@dataclass
class Fleet:
    bosun: Bosun
    env: dict[str, str]
    ctx: Context
    prompts: Path

    def prompt_texts(self) -> list[str]:
        if not self.prompts.exists():
            return []
        return [json.loads(line)["text"] for line in self.prompts.read_text().splitlines()]

    def kinds(self, subject: str) -> list[str]:
        return [e.kind for e in self.ctx.events.tail(200, subject=subject)]


@pytest.fixture
def fleet(bosun: Bosun, project: Path, tmux_socket: str, tmp_path: Path) -> Iterator[Fleet]:
    """polecat/asker waits at a permission prompt, polecat/idler idles at its prompt and
    polecat/gone was stopped."""
    prompts = tmp_path / "prompts.jsonl"
    env = {"BOSUN_RUNTIME_TMUX_SOCKET": tmux_socket}
    work = bosun.ok("work", "create", "Ask first", "--body", ASK)
    bosun.ok("agent", "spawn", "asker", "--runtime", "sim", "--work", work["id"], env=env)
    bosun.ok(
        "agent", "spawn", "idler", "--runtime", "sim", "--worktree", "none",
        env={**env, "BOSUN_SIM_PROMPT_LOG": str(prompts)},
    )
    bosun.ok("agent", "spawn", "gone", "--runtime", "sim", "--worktree", "none", env=env)
    bosun.ok("agent", "stop", "gone", env=env)
    ctx = open_project(project, env={**os.environ, **env})
    try:
        yield Fleet(bosun, env, ctx, prompts)
    finally:
        ctx.close()


def drive(fleet: Fleet, scenario: Callable[[FleetApp, Pilot[None]], Any]) -> None:
    async def main() -> None:
        app = FleetApp(fleet.ctx, refresh=0.5, env=fleet.env)
        async with app.run_test(size=(200, 50)) as pilot:
            await scenario(app, pilot)

    asyncio.run(main())


async def until(pilot: Pilot[None], condition: Callable[[], Any], what: str,
                timeout: float = 60.0) -> Any:
    app = pilot.app
    assert isinstance(app, FleetApp)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            rows = [(r.identity, r.attention.label, r.attention.why) for r in app.shown]
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; rows {rows}; "
                f"outcomes {app.outcomes}; preview {app.preview!r}"
            )
        await pilot.pause(0.1)


def table_keys(app: FleetApp) -> list[str]:
    table = app.query_one("#agents", DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


async def select(app: FleetApp, pilot: Pilot[None], identity: str) -> None:
    await until(pilot, lambda: identity in table_keys(app), f"{identity} in the table")
    app.query_one("#agents", DataTable).move_cursor(row=table_keys(app).index(identity))
    app.query_one("#agents", DataTable).focus()
    await pilot.pause()
    assert app.selected is not None and app.selected.identity == identity


def test_rows_come_in_attention_order_and_search_filters_them(fleet: Fleet) -> None:
    async def scenario(app: FleetApp, pilot: Pilot[None]) -> None:
        order = ["polecat/asker", "polecat/idler", "polecat/gone"]
        await until(pilot, lambda: table_keys(app) == order, f"rows in order {order}")
        labels = [r.attention.label for r in app.shown]
        assert labels == ["waiting", "idle", "done"]
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"state:done")
        assert table_keys(app) == ["polecat/gone"]
        app.query_one("#search", Input).value = ""
        await pilot.press(*"idl")
        assert table_keys(app) == ["polecat/idler"]
        app.query_one("#search", Input).value = "runtime:sim state:waiting,idle"
        await pilot.pause()
        assert table_keys(app) == ["polecat/asker", "polecat/idler"]
        await pilot.press("escape")
        assert app.focused is app.query_one("#agents", DataTable)
        assert app.selected is not None and app.selected.identity == "polecat/idler"
        await select(app, pilot, "polecat/asker")
        await until(pilot, lambda: app.preview[0] == "polecat/asker"
                    and "Allow this action?" in app.preview[1], "the asker's screen")

    drive(fleet, scenario)


def test_nudge_send_answer_diff_and_stop_run_bosun_commands(fleet: Fleet) -> None:
    async def scenario(app: FleetApp, pilot: Pilot[None]) -> None:
        await select(app, pilot, "polecat/idler")
        await pilot.press("y")  # no prompt on its screen: `bosun agent answer` refuses
        await until(pilot, lambda: any("shows no prompt" in o for o in app.outcomes),
                    "the refusal")
        assert "agent.answered" not in fleet.kinds("polecat/idler")
        from bosun.agents.nudges import nudge_text

        nudge = nudge_text(fleet.ctx, "polecat", "idler")
        before = len(fleet.prompt_texts())
        await pilot.press("u")
        await until(pilot, lambda: nudge in fleet.prompt_texts()[before:], "the nudge")
        await until(pilot, lambda: "agent.sent" in fleet.kinds("polecat/idler"), "agent.sent")

        await pilot.press("m")
        await pilot.press(*"hello from the tui", "enter")
        await until(pilot, lambda: "hello from the tui" in fleet.prompt_texts(), "the message")

        await select(app, pilot, "polecat/asker")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, TextView), "the diff view")
        body = app.screen.text
        assert "diff main...bosun/asker" in body and "asked.txt" in body
        await pilot.press("escape")

        await pilot.press("y")  # approve the permission prompt
        await until(pilot, lambda: "agent.answered" in fleet.kinds("polecat/asker"),
                    "the answer")
        await until(pilot, lambda: fleet.ctx.hooks.get("polecat", "asker").phase
                    == "impl_complete", "the asker to finish after approval")

        await pilot.press("e")
        await until(pilot, lambda: app.snapshot.merges, "the enqueued merge request")
        assert app.snapshot.merges[0].branch == "bosun/asker"

        await select(app, pilot, "polecat/idler")
        await pilot.press("s")
        await pilot.press("y")  # confirm
        await until(pilot, lambda: "agent.ended" in fleet.kinds("polecat/idler"),
                    "the idler to stop")
        await until(pilot, lambda: app.snapshot.agents and next(
            a for a in app.snapshot.agents if a.identity == "polecat/idler"
        ).attention.label == "done", "the stopped agent shown as done")
        await until(pilot, lambda: any("stop polecat/idler: done" in o for o in app.outcomes),
                    "the stop command's outcome")

    drive(fleet, scenario)
