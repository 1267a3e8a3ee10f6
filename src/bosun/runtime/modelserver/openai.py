"""OpenAI wire formats: the Responses API (as Codex streams it) and Chat Completions."""

from __future__ import annotations

import json
import time
from typing import Any

from bosun.runtime.modelserver.wire import Reply, Request, schema_props, sse, text_of

RESPONSES = "responses"
CHAT = "chat"
ERRORS = {
    "overloaded": (503, "server_error", "The server is overloaded (scripted)"),
    "rate_limit": (429, "rate_limit_exceeded", "Rate limit reached (scripted)"),
    "server_error": (500, "server_error", "The server had an error (scripted)"),
}
_MODEL_ITEMS = {"function_call", "custom_tool_call", "local_shell_call", "reasoning"}


def _tool_name(tool: dict[str, Any]) -> str:
    return str(tool.get("name") or tool.get("function", {}).get("name") or tool.get("type", ""))


def _tool_schema(tool: dict[str, Any]) -> dict[str, Any]:
    schema = tool.get("parameters") or tool.get("function", {}).get("parameters") or {}
    return schema if isinstance(schema, dict) else {}


def _tools(body: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    return tuple(_tool_name(t) for t in tools), {_tool_name(t): _tool_schema(t) for t in tools}


def parse_responses(body: dict[str, Any]) -> Request:
    items = body.get("input") or []
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    replies, in_reply, last_user = 0, False, ""
    for item in items:
        model_item = item.get("role") == "assistant" or item.get("type") in _MODEL_ITEMS
        if model_item and not in_reply:
            replies += 1
        in_reply = model_item
        if item.get("role") == "user" or str(item.get("type", "")).endswith("_output"):
            last_user = text_of(item.get("content", item.get("output", "")))
    names, schemas = _tools(body)
    return Request(
        api=RESPONSES,
        model=str(body.get("model", "")),
        stream=bool(body.get("stream")),
        replies=replies,
        last_user_text=last_user,
        tools=names,
        tool_schemas=schemas,
        input_chars=len(json.dumps(items)) + len(str(body.get("instructions", ""))),
    )


def parse_chat(body: dict[str, Any]) -> Request:
    messages = body.get("messages") or []
    replies = sum(1 for m in messages if m.get("role") == "assistant")
    last_user: dict[str, Any] = next(
        (m for m in reversed(messages) if m.get("role") in ("user", "tool")), {}
    )
    names, schemas = _tools(body)
    return Request(
        api=CHAT,
        model=str(body.get("model", "")),
        stream=bool(body.get("stream")),
        replies=replies,
        last_user_text=text_of(last_user.get("content", "")),
        tools=names,
        tool_schemas=schemas,
        input_chars=len(json.dumps(messages)),
    )


def shell_call(command: str, request: Request) -> tuple[str, dict[str, Any]]:
    """A shell tool call in the names the client offered (Codex: exec_command or shell)."""
    for name in ("exec_command", "shell_command", "shell", "bash", "run_shell_command"):
        if name in request.tools:
            break
    else:
        name = next((t for t in request.tools if "shell" in t or "bash" in t), "shell")
    props = schema_props(request.tool_schemas.get(name))
    if "cmd" in props:
        return name, {"cmd": command}
    schema = request.tool_schemas.get(name, {}).get("properties", {}).get("command", {})
    if isinstance(schema, dict) and schema.get("type") == "array":
        return name, {"command": ["bash", "-lc", command]}
    return name, {"command": command}


def _items(reply: Reply, response_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if reply.text:
        items.append(
            {
                "type": "message",
                "id": f"msg_{response_id}",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": reply.text, "annotations": []}],
            }
        )
    if reply.tool_name:
        items.append(
            {
                "type": "function_call",
                "id": f"fc_{response_id}",
                "call_id": reply.call_id,
                "name": reply.tool_name,
                "arguments": json.dumps(reply.tool_input),
                "status": "completed",
            }
        )
    return items


def _responses_usage(reply: Reply) -> dict[str, Any]:
    return {
        "input_tokens": reply.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": reply.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


def render_responses_json(reply: Reply, request: Request, response_id: str) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "model": request.model,
        "output": _items(reply, response_id),
        "usage": _responses_usage(reply),
    }


def render_responses_events(reply: Reply, request: Request, response_id: str) -> list[bytes]:
    created = render_responses_json(reply, request, response_id) | {
        "status": "in_progress",
        "output": [],
        "usage": None,
    }
    events = [sse("response.created", {"type": "response.created", "response": created})]
    for index, item in enumerate(_items(reply, response_id)):
        events.append(
            sse(
                "response.output_item.added",
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": item | ({"content": []} if item["type"] == "message" else {}),
                },
            )
        )
        if item["type"] == "message":
            events.append(
                sse(
                    "response.output_text.delta",
                    {
                        "type": "response.output_text.delta",
                        "item_id": item["id"],
                        "output_index": index,
                        "content_index": 0,
                        "delta": reply.text,
                    },
                )
            )
        events.append(
            sse(
                "response.output_item.done",
                {"type": "response.output_item.done", "output_index": index, "item": item},
            )
        )
    done = render_responses_json(reply, request, response_id)
    events.append(sse("response.completed", {"type": "response.completed", "response": done}))
    return events


def _chat_message(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_name:
        message["tool_calls"] = [
            {
                "id": reply.call_id,
                "type": "function",
                "function": {"name": reply.tool_name, "arguments": json.dumps(reply.tool_input)},
            }
        ]
    return message


def _chat_usage(reply: Reply) -> dict[str, Any]:
    return {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


def render_chat_json(reply: Reply, request: Request, response_id: str) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "choices": [
            {
                "index": 0,
                "message": _chat_message(reply),
                "finish_reason": "tool_calls" if reply.tool_name else "stop",
            }
        ],
        "usage": _chat_usage(reply),
    }


def render_chat_events(reply: Reply, request: Request, response_id: str) -> list[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        return sse(
            None,
            {
                "id": response_id,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": request.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            },
        )

    events = [chunk({"role": "assistant", "content": ""})]
    if reply.text:
        events.append(chunk({"content": reply.text}))
    if reply.tool_name:
        call = _chat_message(reply)["tool_calls"][0] | {"index": 0}
        events.append(chunk({"tool_calls": [call]}))
    events.append(chunk({}, "tool_calls" if reply.tool_name else "stop", usage=_chat_usage(reply)))
    events.append(sse(None, "[DONE]"))
    return events


def error_body(fault: str) -> tuple[int, dict[str, Any]]:
    status, code, message = ERRORS[fault]
    kind = "requests" if status == 429 else "server_error"
    return status, {"error": {"message": message, "type": kind, "code": code, "param": None}}
