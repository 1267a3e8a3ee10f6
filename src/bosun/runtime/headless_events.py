"""Reading a headless CLI's event stream: session id, final answer, usage and errors.

A preset's `headless_events` names its stdout format. The event shapes were observed
against the real CLIs (docs/agents-observed.md):

- `claude_stream_json` (claude -p --output-format stream-json --verbose): `system/init`
  carries `session_id`; the last event, `result`, carries `result` (the answer), `usage`,
  `is_error`, `subtype` and `api_error_status`.
- `codex_json` (codex exec --json): `thread.started` carries `thread_id`;
  `item.completed` items of type `agent_message` carry the text; `turn.completed` carries
  `usage`, `turn.failed` an `error.message`; top-level `error` events report reconnects.
- `gemini_stream_json` (gemini -p --output-format stream-json): `init` carries
  `session_id`; assistant `message` events stream the text (`delta`); `result` carries
  `status` (`success`/`error`), `stats` and `error`.
- `text`: no events; the answer is the whole output.

`StreamSummary.feed(line)` takes one stdout line; it never raises on bad input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("claude_stream_json", "codex_json", "gemini_stream_json", "text")
MAX_ERRORS = 20


@dataclass
class StreamSummary:
    """What a headless run reported about itself, built one stdout line at a time."""

    format: str
    session_id: str = ""
    model: str = ""
    text: str = ""  # the final answer (Claude's `result`; the last agent message otherwise)
    status: str = ""  # "success" | "error" | "" (no result event seen)
    error: str = ""  # the error the CLI ended with
    error_status: int | None = None  # an HTTP status the CLI reported, when it did
    subtype: str = ""  # Claude's result subtype (success, error_max_turns, …)
    usage: dict[str, int] = field(default_factory=dict)
    cost_usd: float | None = None
    errors: list[str] = field(default_factory=list)  # every error message met, in order
    events: int = 0
    lines: int = 0
    _tail: list[str] = field(default_factory=list, repr=False)

    def feed(self, line: str) -> None:
        self.lines += 1
        text = line.strip()
        if self.format == "text" or not text.startswith("{"):
            if self.format == "text" and text:
                self._tail.append(line.rstrip("\n"))
                self.text = "\n".join(self._tail[-200:])
            return
        try:
            event = json.loads(text)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        self.events += 1
        reader = _READERS.get(self.format)
        if reader is not None:
            reader(self, event)

    def note_error(self, message: str) -> None:
        if message and len(self.errors) < MAX_ERRORS:
            self.errors.append(message[:500])

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "session_id": self.session_id,
            "reported_model": self.model,  # the model the CLI said it used
            "status": self.status,
            "text": self.text[-4000:],
            "error": self.error,
            "error_status": self.error_status,
            "subtype": self.subtype,
            "usage": self.usage,
            "cost_usd": self.cost_usd,
            "errors": self.errors,
            "events": self.events,
        }


def _ints(data: Any, keys: tuple[str, ...]) -> dict[str, int]:
    if not isinstance(data, dict):
        return {}
    return {k: int(data[k]) for k in keys if isinstance(data.get(k), int | float)}


USAGE_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "cached_input_tokens",
    "reasoning_output_tokens",
)


def _claude(s: StreamSummary, e: dict[str, Any]) -> None:
    kind = e.get("type")
    if kind == "system" and e.get("subtype") == "init":
        s.session_id = str(e.get("session_id") or s.session_id)
        s.model = str(e.get("model") or s.model)
    elif kind == "assistant":
        message = e.get("message") or {}
        if isinstance(message, dict) and message.get("model"):
            s.model = str(message["model"])
        if e.get("error"):
            s.note_error(str(e["error"]))
    elif kind == "result":
        s.session_id = str(e.get("session_id") or s.session_id)
        s.subtype = str(e.get("subtype") or "")
        s.usage = _ints(e.get("usage"), USAGE_KEYS)
        cost = e.get("total_cost_usd")
        s.cost_usd = float(cost) if isinstance(cost, int | float) else None
        answer = e.get("result")
        s.text = answer if isinstance(answer, str) else s.text
        status = e.get("api_error_status")
        s.error_status = int(status) if isinstance(status, int) else None
        failed = bool(e.get("is_error")) or s.subtype not in ("", "success")
        s.status = "error" if failed else "success"
        if failed:
            s.error = s.text or s.subtype or "claude reported an error"
            s.note_error(s.error)


def _codex(s: StreamSummary, e: dict[str, Any]) -> None:
    kind = e.get("type")
    if kind == "thread.started":
        s.session_id = str(e.get("thread_id") or s.session_id)
    elif kind == "item.completed":
        item = e.get("item") or {}
        if isinstance(item, dict) and item.get("type") == "agent_message":
            s.text = str(item.get("text") or "")
    elif kind == "turn.completed":
        s.usage = _ints(e.get("usage"), USAGE_KEYS)
        s.status = "success"
    elif kind == "turn.failed":
        error = e.get("error") or {}
        s.error = str(error.get("message") if isinstance(error, dict) else error) or "turn failed"
        s.status = "error"
        s.note_error(s.error)
    elif kind == "error":
        s.note_error(str(e.get("message") or ""))


def _gemini(s: StreamSummary, e: dict[str, Any]) -> None:
    kind = e.get("type")
    if kind == "init":
        s.session_id = str(e.get("session_id") or s.session_id)
        s.model = str(e.get("model") or s.model)
    elif kind == "message" and e.get("role") == "assistant":
        chunk = str(e.get("content") or "")
        s.text = s.text + chunk if e.get("delta") else chunk
    elif kind == "tool_result":
        s.text = ""  # the answer is what the model says after its last tool
    elif kind == "error":
        s.note_error(str(e.get("message") or ""))
    elif kind == "result":
        s.status = "success" if e.get("status") == "success" else "error"
        stats = e.get("stats") or {}
        s.usage = _ints(stats, ("input_tokens", "output_tokens", "total_tokens", "cached"))
        if s.status == "error":
            error = e.get("error") or {}
            message = error.get("message") if isinstance(error, dict) else error
            s.error = str(message or "gemini reported an error")
            s.note_error(s.error)


_READERS = {"claude_stream_json": _claude, "codex_json": _codex, "gemini_stream_json": _gemini}
