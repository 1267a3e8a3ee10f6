"""What the wire formats share: the facts read from a request and the reply to render."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """The facts one provider request carries that the script needs."""

    api: str
    model: str
    stream: bool
    replies: int  # model replies already in the conversation
    last_user_text: str
    tools: tuple[str, ...]
    tool_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    input_chars: int = 0


@dataclass(frozen=True)
class Reply:
    """One model reply, independent of the wire format."""

    text: str = ""
    tool_name: str | None = None
    tool_input: dict[str, Any] = field(default_factory=dict)
    call_id: str = "call_0"
    input_tokens: int = 1
    output_tokens: int = 1


def sse(event: str | None, data: Any) -> bytes:
    """One server-sent event frame."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def text_of(content: Any) -> str:
    """The plain text in a message's content, whatever shape the wire format gives it."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(text_of(part) for part in content)
    if isinstance(content, dict):
        for key in ("text", "content", "output", "input_text"):
            if key in content:
                return text_of(content[key])
        if "functionResponse" in content:
            return json.dumps(content["functionResponse"].get("response", {}))
    return ""


def schema_props(schema: Any) -> set[str]:
    """The top-level property names of a JSON schema (tool parameters)."""
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return set(schema["properties"])
    return set()
