"""Reading the real CLIs' headless event streams (lines as the pinned versions print them)."""

from __future__ import annotations

import json

from bosun.runtime.headless_events import StreamSummary


def _read(fmt: str, *events: object) -> StreamSummary:
    summary = StreamSummary(fmt)
    for event in events:
        summary.feed(event if isinstance(event, str) else json.dumps(event) + "\n")
    return summary


def test_claude_stream_gives_session_answer_and_usage() -> None:
    s = _read(
        "claude_stream_json",
        {"type": "system", "subtype": "init", "session_id": "c-1", "model": "claude-sonnet-4-5"},
        {"type": "assistant", "message": {"model": "claude-sonnet-4-5", "content": []}},
        "not json: a warning line\n",
        {
            "type": "result", "subtype": "success", "is_error": False, "result": "Done.",
            "session_id": "c-1", "total_cost_usd": 0.06, "api_error_status": None,
            "usage": {"input_tokens": 20404, "output_tokens": 23, "service_tier": "standard"},
        },
    )  # fmt: skip
    assert (s.session_id, s.text, s.status, s.model) == (
        "c-1",
        "Done.",
        "success",
        "claude-sonnet-4-5",
    )
    assert s.usage == {"input_tokens": 20404, "output_tokens": 23}
    assert s.cost_usd == 0.06 and s.events == 3 and s.lines == 4


def test_claude_rate_limited_after_its_retries_is_an_error_with_the_http_status() -> None:
    s = _read(
        "claude_stream_json",
        {"type": "system", "subtype": "init", "session_id": "c-2"},
        {
            "type": "result", "subtype": "success", "is_error": True, "api_error_status": 429,
            "result": "API Error: Request rejected (429) · Rate limited by the model script",
        },
    )  # fmt: skip
    assert (s.status, s.error_status) == ("error", 429)
    assert s.error.startswith("API Error: Request rejected (429)")


def test_codex_stream_gives_thread_last_message_usage_and_failures() -> None:
    ok = _read(
        "codex_json",
        {"type": "thread.started", "thread_id": "t-1"},
        {"type": "item.completed", "item": {"type": "error", "message": "Model metadata"}},
        {"type": "item.completed", "item": {"type": "agent_message", "text": "I will write."}},
        {"type": "item.completed", "item": {"type": "agent_message", "text": "Done."}},
        {"type": "turn.completed", "usage": {"input_tokens": 11015, "output_tokens": 11}},
    )
    assert (ok.session_id, ok.text, ok.status) == ("t-1", "Done.", "success")
    assert ok.usage == {"input_tokens": 11015, "output_tokens": 11}
    failed = _read(
        "codex_json",
        {"type": "thread.started", "thread_id": "t-2"},
        {
            "type": "error",
            "message": "Reconnecting... 5/5 (exceeded retry limit, last status: 429)",
        },
        {"type": "turn.failed", "error": {"message": "exceeded retry limit, last status: 429"}},
    )
    assert failed.status == "error" and failed.error.endswith("last status: 429")
    assert len(failed.errors) == 2


def test_gemini_stream_joins_the_deltas_after_the_last_tool_and_reads_the_result() -> None:
    s = _read(
        "gemini_stream_json",
        {"type": "init", "session_id": "g-1", "model": "gemini-2.5-flash"},
        {"type": "message", "role": "assistant", "content": "I will ", "delta": True},
        {"type": "tool_result", "status": "success", "output": ""},
        {"type": "message", "role": "assistant", "content": "Step ", "delta": True},
        {"type": "message", "role": "assistant", "content": "done.", "delta": True},
        {
            "type": "result",
            "status": "success",
            "stats": {"input_tokens": 13170, "output_tokens": 23},
        },
    )
    assert (s.session_id, s.text, s.status) == ("g-1", "Step done.", "success")
    assert s.usage == {"input_tokens": 13170, "output_tokens": 23}
    dropped = _read(
        "gemini_stream_json",
        {"type": "result", "status": "error", "error": {"message": "[API Error: terminated]"}},
    )
    assert (dropped.status, dropped.error) == ("error", "[API Error: terminated]")


def test_text_format_keeps_the_output_and_bad_lines_never_raise() -> None:
    s = _read("text", "hello\n", "world\n")
    assert s.text == "hello\nworld" and s.status == ""
    junk = _read("claude_stream_json", "{not json\n", "[1, 2]\n", '{"type": 3}\n')
    assert junk.events == 1 and junk.status == ""
