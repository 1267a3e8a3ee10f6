"""`bosun mcp serve` over stdio, driven by the official MCP SDK client."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

from bosun.core.context import open_project
from bosun.core.threads import Threads

TOOLS = {
    "post_message",
    "read_thread",
    "list_unread",
    "trigger_participant",
    "hook_show",
    "hook_update_phase",
    "hook_checkpoint",
    "signal_send",
    "heartbeat",
}


def _server(project: Path, identity: str | None) -> StdioServerParameters:
    env = {"BOSUN_HOME": str(project)}
    if identity:
        env["BOSUN_IDENTITY"] = identity
    return StdioServerParameters(
        command=sys.executable, args=["-m", "bosun", "mcp", "serve"], env=env, cwd=str(project)
    )


def _data(result: Any) -> dict[str, Any]:
    if result.structured_content is not None:
        return dict(result.structured_content)
    return json.loads(result.content[0].text)


def _setup(project: Path) -> tuple[str, str]:
    with open_project(project, env={}) as ctx:
        ctx.identities.create("dev", "a", runtime="sim", session_id="s-a")
        ctx.identities.create("dev", "b", runtime="sim", session_id="s-b")
        ctx.identities.create("dev", "out")
        work = ctx.work.create("fix auth")
        ctx.hooks.pin("dev", "a", work.id)
        thread = Threads(ctx).create("review", ["dev/a", "dev/b"])
        Threads(ctx).post(thread.id, "hello a, see \x1b[1mthis\x1b[0m", author="dev/b")
        return thread.id, work.id


def test_agents_use_threads_hooks_signals_and_triggers_over_stdio(project: Path) -> None:
    thread, work_id = _setup(project)

    async def session() -> None:
        async with Client(_server(project, "dev/a"), read_timeout_seconds=60) as client:
            listed = await client.list_tools()
            assert {tool.name for tool in listed.tools} >= TOOLS
            unread = _data(await client.call_tool("list_unread", {}))
            assert unread["total_unread"] == 1 and unread["threads"][0]["thread_id"] == thread
            read = _data(await client.call_tool("read_thread", {"thread": thread}))
            assert read["messages"][0]["body"] == "hello a, see \x1b[1mthis\x1b[0m"
            assert _data(await client.call_tool("list_unread", {}))["total_unread"] == 0
            posted = _data(
                await client.call_tool("post_message", {"thread": thread, "body": "on it"})
            )
            assert posted["author"] == "dev/a" and posted["seq"] == 2
            envelope = _data(
                await client.call_tool(
                    "trigger_participant",
                    {"participant": "dev/b", "thread": thread, "reason": "please review"},
                )
            )
            assert envelope["action"] == "enqueued" and envelope["job_id"]
            again = _data(
                await client.call_tool(
                    "trigger_participant", {"participant": "dev/b", "thread": thread}
                )
            )
            assert again["job_id"] == envelope["job_id"] and again["existing"]
            hook = _data(await client.call_tool("hook_show", {}))
            assert hook["hook"]["work_id"] == work_id
            phase = _data(await client.call_tool("hook_update_phase", {"phase": "executing"}))
            assert phase["phase"] == "executing"
            checkpoint = _data(await client.call_tool("hook_checkpoint", {"note": "half"}))
            assert checkpoint["checkpoint_note"] == "half"
            signal = _data(
                await client.call_tool(
                    "signal_send", {"to": "dev/b", "type": "NUDGE", "payload": {"x": 1}}
                )
            )
            assert signal["from"] == "dev/a" and signal["payload"] == {"x": 1}
            beat = _data(await client.call_tool("heartbeat", {}))
            assert beat["identity"] == "dev/a" and beat["status"] == "active"

    asyncio.run(session())


def test_bad_input_comes_back_as_tool_errors(project: Path) -> None:
    thread, _ = _setup(project)

    async def session() -> None:
        async with Client(_server(project, "dev/out"), read_timeout_seconds=60) as client:
            result = await client.call_tool("post_message", {"thread": thread, "body": "x"})
            assert result.is_error and "not_participant" in result.content[0].text
            result = await client.call_tool("read_thread", {"thread": "th-nope"})
            assert result.is_error and "no thread" in result.content[0].text
            big = await client.call_tool(
                "post_message", {"thread": thread, "body": "x" * (64 * 1024 + 1)}
            )
            assert big.is_error and "too_large" in big.content[0].text
            forced = _data(
                await client.call_tool(
                    "trigger_participant", {"participant": "dev/a", "thread": thread, "force": True}
                )
            )
            assert forced["action"] == "rejected" and forced["reason"] == "force_without_reason"
            outsider = _data(
                await client.call_tool(
                    "trigger_participant", {"participant": "dev/a", "thread": thread}
                )
            )
            assert outsider["reason"] == "caller_not_participant"
            no_hook = _data(await client.call_tool("hook_show", {}))
            assert no_hook["hook"] is None

    asyncio.run(session())
    with open_project(project, env={}) as ctx:
        assert Threads(ctx).get(thread).last_seq == 1  # nothing half-written


def test_without_an_identity_the_identity_tools_say_how_to_fix_it(project: Path) -> None:
    _setup(project)

    async def session() -> None:
        async with Client(_server(project, None), read_timeout_seconds=60) as client:
            result = await client.call_tool("hook_show", {})
            assert result.is_error and "BOSUN_IDENTITY" in result.content[0].text

    asyncio.run(session())
