"""The Gemini API as Gemini CLI calls it: /v1beta/models/M:generateContent and the stream."""

from __future__ import annotations

import json
from typing import Any

from bosun.runtime.modelserver.wire import Reply, Request, sse, text_of

API = "gemini"
ERRORS = {
    "overloaded": (503, "UNAVAILABLE", "The model is overloaded (scripted)."),
    "rate_limit": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (scripted)."),
    "server_error": (500, "INTERNAL", "An internal error has occurred (scripted)."),
}
NEXT_SPEAKER = {"reasoning": "The scripted model finished its turn.", "next_speaker": "user"}


def parse(body: dict[str, Any], model: str, stream: bool) -> Request:
    contents = body.get("contents") or []
    replies = sum(1 for c in contents if c.get("role") == "model")
    last_user: dict[str, Any] = next((c for c in reversed(contents) if c.get("role") == "user"), {})
    declarations = [
        d
        for tool in body.get("tools") or []
        if isinstance(tool, dict)
        for d in tool.get("functionDeclarations") or []
        if isinstance(d, dict)
    ]
    return Request(
        api=API,
        model=model,
        stream=stream,
        replies=replies,
        last_user_text=text_of(last_user.get("parts", [])),
        tools=tuple(str(d.get("name")) for d in declarations),
        tool_schemas={
            str(d.get("name")): d.get("parameters") or d.get("parametersJsonSchema") or {}
            for d in declarations
        },
        input_chars=len(json.dumps(contents)) + len(json.dumps(body.get("systemInstruction"))),
    )


def wants_json(body: dict[str, Any]) -> bool:
    """A side request that asks for JSON (Gemini CLI's next-speaker and routing checks)."""
    config = body.get("generationConfig") or {}
    return config.get("responseMimeType") == "application/json"


def shell_call(command: str, request: Request) -> tuple[str, dict[str, Any]]:
    return "run_shell_command", {"command": command, "description": "Run a scripted command"}


def count_tokens(body: dict[str, Any]) -> dict[str, Any]:
    return {"totalTokens": max(1, len(json.dumps(body)) // 4)}


def _candidate(reply: Reply) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if reply.text:
        parts.append({"text": reply.text})
    if reply.tool_name:
        parts.append({"functionCall": {"name": reply.tool_name, "args": reply.tool_input}})
    return {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}


def _usage(reply: Reply) -> dict[str, Any]:
    return {
        "promptTokenCount": reply.input_tokens,
        "candidatesTokenCount": reply.output_tokens,
        "totalTokenCount": reply.input_tokens + reply.output_tokens,
    }


def render_json(reply: Reply, request: Request, response_id: str) -> dict[str, Any]:
    return {
        "candidates": [_candidate(reply)],
        "usageMetadata": _usage(reply),
        "modelVersion": request.model,
        "responseId": response_id,
    }


def render_events(reply: Reply, request: Request, response_id: str) -> list[bytes]:
    """The reply in two or more chunks (the text split in half), the last with finishReason."""
    events = []
    half = len(reply.text) // 2
    if half:
        head = render_json(
            Reply(text=reply.text[:half], input_tokens=reply.input_tokens), request, response_id
        )
        head["candidates"][0].pop("finishReason")
        events.append(sse(None, head))
    rest = Reply(
        text=reply.text[half:],
        tool_name=reply.tool_name,
        tool_input=reply.tool_input,
        call_id=reply.call_id,
        input_tokens=reply.input_tokens,
        output_tokens=reply.output_tokens,
    )
    events.append(sse(None, render_json(rest, request, response_id)))
    return events


def error_body(fault: str) -> tuple[int, dict[str, Any]]:
    status, kind, message = ERRORS[fault]
    return status, {"error": {"code": status, "message": message, "status": kind}}
