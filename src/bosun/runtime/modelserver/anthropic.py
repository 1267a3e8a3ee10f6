"""The Anthropic Messages API as Claude Code calls it: /v1/messages (SSE or JSON)."""

from __future__ import annotations

import json
from typing import Any

from bosun.runtime.modelserver.wire import Reply, Request, sse, text_of

API = "anthropic"
ERRORS = {
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "rate_limit": (429, "rate_limit_error", "Rate limited by the model script"),
    "server_error": (500, "api_error", "Internal server error (scripted)"),
}


def parse(body: dict[str, Any]) -> Request:
    messages = body.get("messages") or []
    replies = sum(1 for m in messages if m.get("role") == "assistant")
    last_user: dict[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and "name" in t]
    return Request(
        api=API,
        model=str(body.get("model", "")),
        stream=bool(body.get("stream")),
        replies=replies,
        last_user_text=text_of(last_user.get("content", "")),
        tools=tuple(t["name"] for t in tools),
        tool_schemas={t["name"]: t.get("input_schema") or {} for t in tools},
        input_chars=len(json.dumps(messages)) + len(json.dumps(body.get("system", ""))),
    )


def shell_call(command: str, request: Request) -> tuple[str, dict[str, Any]]:
    return "Bash", {"command": command, "description": "Run a scripted command"}


def count_tokens(body: dict[str, Any]) -> dict[str, Any]:
    return {"input_tokens": max(1, parse(body).input_chars // 4)}


def _blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    if reply.tool_name:
        blocks.append(
            {
                "type": "tool_use",
                "id": reply.call_id,
                "name": reply.tool_name,
                "input": reply.tool_input,
            }
        )
    return blocks


def _usage(reply: Reply, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": reply.input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def render_json(reply: Reply, request: Request, message_id: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": _blocks(reply),
        "stop_reason": "tool_use" if reply.tool_name else "end_turn",
        "stop_sequence": None,
        "usage": _usage(reply, reply.output_tokens),
    }


def render_events(reply: Reply, request: Request, message_id: str) -> list[bytes]:
    start = render_json(reply, request, message_id) | {
        "content": [],
        "stop_reason": None,
        "usage": _usage(reply, 1),
    }
    events = [sse("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(_blocks(reply)):
        if block["type"] == "text":
            opening: dict[str, Any] = {"type": "text", "text": ""}
            half = len(block["text"]) // 2
            deltas = [
                {"type": "text_delta", "text": part}
                for part in (block["text"][:half], block["text"][half:])
                if part
            ]
        else:
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": json.dumps(block["input"])}]
        events.append(
            sse(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": opening},
            )
        )
        events.append(sse("ping", {"type": "ping"}))
        events.extend(
            sse(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
            for delta in deltas
        )
        events.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(
        sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": "tool_use" if reply.tool_name else "end_turn",
                    "stop_sequence": None,
                },
                "usage": {"output_tokens": reply.output_tokens},
            },
        )
    )
    events.append(sse("message_stop", {"type": "message_stop"}))
    return events


def error_body(fault: str) -> tuple[int, dict[str, Any]]:
    status, kind, message = ERRORS[fault]
    return status, {"type": "error", "error": {"type": kind, "message": message}}
