"""Which wire format answers which URL, and the functions that speak it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bosun.runtime.modelserver import anthropic, gemini, openai
from bosun.runtime.modelserver.script import Script
from bosun.runtime.modelserver.wire import Reply, Request

Renderer = Callable[[Reply, Request, str], Any]


@dataclass(frozen=True)
class Route:
    api: str
    kind: str  # "reply" or "count"
    parse: Callable[[dict[str, Any]], Request]
    render_json: Callable[[Reply, Request, str], dict[str, Any]]
    render_events: Callable[[Reply, Request, str], list[bytes]]
    error_body: Callable[[str], tuple[int, dict[str, Any]]]
    shell_call: Callable[[str, Request], tuple[str, dict[str, Any]]]
    count_tokens: Callable[[dict[str, Any]], dict[str, Any]]
    id_prefix: str
    call_prefix: str
    content_type: str = "text/event-stream"

    def side_text(self, body: dict[str, Any], script: Script) -> str:
        """The answer to a request that offers no tools (titles, summaries, checks)."""
        if self.api == gemini.API and gemini.wants_json(body):
            schema = (
                (body.get("generationConfig") or {}).get("responseSchema")
                or (body.get("generationConfig") or {}).get("responseJsonSchema")
                or {}
            )
            return json.dumps(_fill(schema, script.side_text))
        return script.side_text


def _fill(schema: dict[str, Any], text: str) -> dict[str, Any]:
    """An object that satisfies a JSON response schema (Gemini CLI's side checks)."""
    answer: dict[str, Any] = dict(gemini.NEXT_SPEAKER)
    for name, prop in (schema.get("properties") or {}).items():
        if name in answer or not isinstance(prop, dict):
            continue
        kind = str(prop.get("type", "string")).lower()
        if prop.get("enum"):
            answer[name] = prop["enum"][0]
        elif kind == "boolean":
            answer[name] = False
        elif kind in ("number", "integer"):
            answer[name] = 0
        else:
            answer[name] = text
    return answer


def _no_count(body: dict[str, Any]) -> dict[str, Any]:
    return {}


_ANTHROPIC = dict(
    api=anthropic.API,
    parse=anthropic.parse,
    render_json=anthropic.render_json,
    render_events=anthropic.render_events,
    error_body=anthropic.error_body,
    shell_call=anthropic.shell_call,
    count_tokens=anthropic.count_tokens,
    id_prefix="msg_",
    call_prefix="toolu_",
)
_RESPONSES = Route(
    api=openai.RESPONSES,
    kind="reply",
    parse=openai.parse_responses,
    render_json=openai.render_responses_json,
    render_events=openai.render_responses_events,
    error_body=openai.error_body,
    shell_call=openai.shell_call,
    count_tokens=_no_count,
    id_prefix="resp_",
    call_prefix="call_",
)
_CHAT = Route(
    api=openai.CHAT,
    kind="reply",
    parse=openai.parse_chat,
    render_json=openai.render_chat_json,
    render_events=openai.render_chat_events,
    error_body=openai.error_body,
    shell_call=openai.shell_call,
    count_tokens=_no_count,
    id_prefix="chatcmpl-",
    call_prefix="call_",
)
_GEMINI_PATH = re.compile(r"^/v1(?:beta|alpha|)/models/([^/:]+):(\w+)$")


def _gemini(model: str, stream: bool) -> Route:
    return Route(
        api=gemini.API,
        kind="reply",
        parse=lambda body: gemini.parse(body, model, stream),
        render_json=gemini.render_json,
        render_events=gemini.render_events,
        error_body=gemini.error_body,
        shell_call=gemini.shell_call,
        count_tokens=gemini.count_tokens,
        id_prefix="gen_",
        call_prefix="call_",
    )


def find(method: str, url: str) -> Route | None:
    """The route for a request, or None (the server answers 404)."""
    path = urlsplit(url).path.rstrip("/")
    if method != "POST":
        return None
    if path == "/v1/messages":
        return Route(kind="reply", **_ANTHROPIC)  # type: ignore[arg-type]
    if path == "/v1/messages/count_tokens":
        return Route(kind="count", **_ANTHROPIC)  # type: ignore[arg-type]
    if path in ("/v1/responses", "/responses"):
        return _RESPONSES
    if path in ("/v1/chat/completions", "/chat/completions"):
        return _CHAT
    found = _GEMINI_PATH.match(path)
    if found:
        model, action = found.groups()
        route = _gemini(model, action == "streamGenerateContent")
        if action == "countTokens":
            return Route(**(route.__dict__ | {"kind": "count"}))
        if action in ("generateContent", "streamGenerateContent"):
            return route
    return None
