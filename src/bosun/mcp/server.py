"""`bosun mcp serve`: the MCP server (stdio) agents use, on the official `mcp` SDK.

The identity comes from the environment bosun gave the session (`BOSUN_IDENTITY`), the
project from `BOSUN_HOME` (or the working directory). Register it for Claude Code with
`claude mcp add bosun -- bosun mcp serve` (see `claude_config`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from bosun import __version__
from bosun.base.errors import BosunError
from bosun.base.logs import redact_logging
from bosun.mcp import tools

if TYPE_CHECKING:
    from bosun.core.context import Context

T = TypeVar("T")

INSTRUCTIONS = (
    "bosun keeps your identity and pinned work outside the model. Use read_thread / "
    "post_message / list_unread for your threads, trigger_participant to wake another "
    "participant, hook_show / hook_update_phase / hook_checkpoint for your pinned work, "
    "signal_send for typed signals (MERGE_READY, …) and heartbeat to say you are alive."
)


def build_server(ctx: Context, me: str | None) -> MCPServer:
    server = MCPServer("bosun", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")
    lock = threading.Lock()  # one store connection: one tool call at a time

    def call(fn: Callable[[], T]) -> T:
        with lock:
            try:
                tools.touch(ctx, me)
                return fn()
            except BosunError as exc:
                hint = f" (hint: {exc.hint})" if exc.hint else ""
                raise ToolError(f"{exc.code}: {exc.message}{hint}") from exc

    @server.tool()
    def post_message(thread: str, body: str) -> dict[str, Any]:
        """Post a message to a thread you participate in (body up to 64 KiB)."""
        return call(lambda: tools.post_message(ctx, me, thread, body))

    @server.tool()
    def read_thread(thread: str, advance: bool = True, limit: int = 200) -> dict[str, Any]:
        """Your unread messages in a thread; advances your read cursor unless advance=false."""
        return call(lambda: tools.read_thread(ctx, me, thread, advance, limit))

    @server.tool()
    def list_unread() -> dict[str, Any]:
        """Threads where you have unread messages, with counts."""
        return call(lambda: tools.list_unread(ctx, me))

    @server.tool()
    def trigger_participant(
        participant: str,
        thread: str,
        reason: str | None = None,
        force: bool = False,
        why: str | None = None,
    ) -> dict[str, Any]:
        """Wake another participant (ROLE/NAME) of a thread. Returns {action: enqueued |
        fallback_required | rejected, reason, job_id, trace_id}. force needs why."""
        return call(lambda: tools.trigger(ctx, me, participant, thread, reason, force, why))

    @server.tool()
    def hook_show() -> dict[str, Any]:
        """The work pinned to you: work item, phase, checkpoint, resumption instructions."""
        return call(lambda: tools.hook_show(ctx, me))

    @server.tool()
    def hook_update_phase(phase: str) -> dict[str, Any]:
        """Advance your hook's phase (executing, impl_complete, validating, merge_ready, …)."""
        return call(lambda: tools.hook_update_phase(ctx, me, phase))

    @server.tool()
    def hook_checkpoint(note: str | None = None) -> dict[str, Any]:
        """Record a checkpoint on your hook, with an optional note for your successor."""
        return call(lambda: tools.hook_checkpoint(ctx, me, note))

    @server.tool()
    def signal_send(to: str, type: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a typed signal (MERGE_READY, NUDGE, x-custom…) to another identity."""
        return call(lambda: tools.signal_send(ctx, me, to, type, payload))

    @server.tool()
    def heartbeat() -> dict[str, Any]:
        """Say you are alive (every tool call also counts)."""
        return call(lambda: tools.heartbeat(ctx, me))

    return server


def serve(ctx: Context, me: str | None) -> None:
    server = build_server(ctx, me)
    redact_logging("mcp")  # the MCP SDK set its handlers up; no password in what they write
    server.run("stdio")


def claude_config(bosun_command: str = "bosun") -> dict[str, Any]:
    """The `mcpServers` entry that registers this server for Claude Code (.mcp.json)."""
    return {
        "mcpServers": {
            "bosun": {"type": "stdio", "command": bosun_command, "args": ["mcp", "serve"]}
        }
    }
