"""`bosun model serve` speaks each provider's wire format, and plays every scripted fault."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bosun.runtime.modelserver import ModelServer, parse_script

SCRIPT = """
[model]
context_window = 100000
side_text = "A title"

[[turn]]
text = "Writing it."
shell = "echo hi > out.txt"

[[turn]]
text = "Done."
"""

ANTHROPIC_TOOLS = [{"name": "Bash", "input_schema": {"type": "object"}}]
CODEX_TOOLS = [
    {
        "type": "function",
        "name": "exec_command",
        "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}},
    },
]
GEMINI_TOOLS = [{"functionDeclarations": [{"name": "run_shell_command"}]}]


@pytest.fixture
def serve() -> Iterator[Callable[..., ModelServer]]:
    servers: list[ModelServer] = []

    def start(text: str = SCRIPT, log_path: Path | None = None) -> ModelServer:
        server = ModelServer(parse_script(text), log_path=log_path).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _events(response: httpx.Response) -> list[tuple[str | None, Any]]:
    events: list[tuple[str | None, Any]] = []
    for frame in response.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines())
        data = lines["data"]
        events.append((lines.get("event"), data if data == "[DONE]" else json.loads(data)))
    return events


def _anthropic(messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"model": "claude-x", "messages": messages, "tools": ANTHROPIC_TOOLS, **extra}


def test_anthropic_stream_plays_turn_one_with_a_bash_tool_call(
    serve: Callable[..., ModelServer],
) -> None:
    server = serve()
    body = _anthropic([{"role": "user", "content": "go"}], stream=True)
    response = httpx.post(f"{server.url}/v1/messages?beta=true", json=body)
    assert response.status_code == 200
    events = _events(response)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    text = "".join(
        d["delta"]["text"]
        for k, d in events
        if k == "content_block_delta" and d["delta"]["type"] == "text_delta"
    )
    assert text == "Writing it."
    tool = next(
        d["content_block"]
        for k, d in events
        if k == "content_block_start" and d["content_block"]["type"] == "tool_use"
    )
    assert tool["name"] == "Bash"
    args = next(
        d["delta"]["partial_json"]
        for k, d in events
        if k == "content_block_delta" and d["delta"]["type"] == "input_json_delta"
    )
    assert json.loads(args)["command"] == "echo hi > out.txt"
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_anthropic_json_continues_at_turn_two_after_one_reply(
    serve: Callable[..., ModelServer],
) -> None:
    server = serve()
    history = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}],
        },
    ]
    reply = httpx.post(f"{server.url}/v1/messages", json=_anthropic(history)).json()
    assert reply["content"] == [{"type": "text", "text": "Done."}]
    assert reply["stop_reason"] == "end_turn"
    assert server.requests[-1]["turn"] == 2


def test_anthropic_count_tokens_and_side_requests(serve: Callable[..., ModelServer]) -> None:
    server = serve()
    count = httpx.post(
        f"{server.url}/v1/messages/count_tokens",
        json=_anthropic([{"role": "user", "content": "x" * 400}]),
    ).json()
    assert count["input_tokens"] > 50
    side = httpx.post(
        f"{server.url}/v1/messages",
        json={"model": "m", "messages": [{"role": "user", "content": "title?"}]},
    )
    assert side.json()["content"][0]["text"] == "A title"
    assert server.requests[-1]["side"] is True and server.requests[-1]["turn"] is None


def test_a_fresh_conversation_starts_over_and_a_used_up_script_says_so(
    serve: Callable[..., ModelServer],
) -> None:
    server = serve()
    fresh = _anthropic([{"role": "user", "content": "again"}])
    assert httpx.post(f"{server.url}/v1/messages", json=fresh).json()["content"][0]["text"] == (
        "Writing it."
    )
    long = _anthropic(
        [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}] * 2
        + [{"role": "user", "content": "c"}]
    )
    reply = httpx.post(f"{server.url}/v1/messages", json=long).json()
    assert reply["content"][0]["text"] == "The script has no more turns."


def test_turns_match_on_the_last_user_message(serve: Callable[..., ModelServer]) -> None:
    server = serve('[[turn]]\ntext = "generic"\n[[turn]]\nmatch = "deploy"\ntext = "deploying"\n')
    other = httpx.post(
        f"{server.url}/v1/messages", json=_anthropic([{"role": "user", "content": "hello"}])
    ).json()
    deploy = httpx.post(
        f"{server.url}/v1/messages", json=_anthropic([{"role": "user", "content": "please deploy"}])
    ).json()
    assert other["content"][0]["text"] == "generic"
    # turn 1 has no match, so it answers any first message; "deploy" is only reached later
    assert deploy["content"][0]["text"] == "generic"
    second = _anthropic(
        [
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": "y"},
            {"role": "user", "content": "now deploy"},
        ]
    )
    assert httpx.post(f"{server.url}/v1/messages", json=second).json()["content"][0]["text"] == (
        "deploying"
    )
    nomatch = _anthropic(
        [
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": "y"},
            {"role": "user", "content": "wait"},
        ]
    )
    assert httpx.post(f"{server.url}/v1/messages", json=nomatch).json()["content"][0]["text"] == (
        "The script has no more turns."
    )


def test_responses_stream_uses_codex_exec_command(serve: Callable[..., ModelServer]) -> None:
    server = serve()
    body = {
        "model": "m",
        "stream": True,
        "tools": CODEX_TOOLS,
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]}
        ],
    }
    events = _events(httpx.post(f"{server.url}/v1/responses", json=body))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    done = [d["item"] for k, d in events if k == "response.output_item.done"]
    assert done[0]["content"][0]["text"] == "Writing it."
    assert done[1]["type"] == "function_call" and done[1]["name"] == "exec_command"
    assert json.loads(done[1]["arguments"]) == {"cmd": "echo hi > out.txt"}
    assert events[-1][1]["response"]["usage"]["input_tokens"] >= 1


def test_responses_counts_a_text_and_tool_reply_as_one_turn(
    serve: Callable[..., ModelServer],
) -> None:
    server = serve()
    shell = [
        {
            "type": "function",
            "name": "shell",
            "parameters": {"type": "object", "properties": {"command": {"type": "array"}}},
        }
    ]
    body = {
        "model": "m",
        "tools": shell,
        "input": [
            {"type": "message", "role": "user", "content": "go"},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Writing it."}],
            },
            {"type": "function_call", "call_id": "c1", "name": "shell", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "ok"},
        ],
    }
    reply = httpx.post(f"{server.url}/v1/responses", json=body).json()
    assert reply["output"][0]["content"][0]["text"] == "Done."
    fresh = {"model": "m", "tools": shell, "input": "go"}
    call = httpx.post(f"{server.url}/v1/responses", json=fresh).json()["output"][1]
    assert json.loads(call["arguments"]) == {"command": ["bash", "-lc", "echo hi > out.txt"]}


def test_chat_completions_json_and_stream(serve: Callable[..., ModelServer]) -> None:
    server = serve()
    tools = [{"type": "function", "function": {"name": "bash", "parameters": {}}}]
    body = {"model": "m", "tools": tools, "messages": [{"role": "user", "content": "go"}]}
    reply = httpx.post(f"{server.url}/v1/chat/completions", json=body).json()
    choice = reply["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["function"]["name"] == "bash"
    events = _events(httpx.post(f"{server.url}/v1/chat/completions", json=body | {"stream": True}))
    assert events[-1][1] == "[DONE]"
    deltas = [d["choices"][0]["delta"] for _, d in events[:-1]]
    assert "".join(d.get("content") or "" for d in deltas) == "Writing it."


def test_gemini_generate_stream_count_and_json_side_checks(
    serve: Callable[..., ModelServer],
) -> None:
    server = serve()
    base = f"{server.url}/v1beta/models/gemini-x"
    body = {"contents": [{"role": "user", "parts": [{"text": "go"}]}], "tools": GEMINI_TOOLS}
    reply = httpx.post(f"{base}:generateContent", json=body).json()
    parts = reply["candidates"][0]["content"]["parts"]
    assert parts == [
        {"text": "Writing it."},
        {
            "functionCall": {
                "name": "run_shell_command",
                "args": {"command": "echo hi > out.txt", "description": "Run a scripted command"},
            }
        },
    ]
    events = _events(httpx.post(f"{base}:streamGenerateContent?alt=sse", json=body))
    assert len(events) == 2 and events[-1][1]["candidates"][0]["finishReason"] == "STOP"
    assert httpx.post(f"{base}:countTokens", json=body).json()["totalTokens"] >= 1
    check = {
        "contents": body["contents"],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": {
                "properties": {
                    "next_speaker": {"enum": ["user", "model"]},
                    "reasoning": {"type": "string"},
                }
            },
        },
    }
    answer = httpx.post(f"{base}:generateContent", json=check).json()
    text = answer["candidates"][0]["content"]["parts"][0]["text"]
    assert json.loads(text)["next_speaker"] == "user"


@pytest.mark.parametrize(
    ("fault", "statuses"),
    [
        ("overloaded", (529, 503, 503)),
        ("rate_limit", (429, 429, 429)),
        ("server_error", (500, 500, 500)),
    ],
)
def test_error_faults_answer_once_then_the_turn_plays(
    serve: Callable[..., ModelServer],
    fault: str,
    statuses: tuple[int, int, int],
) -> None:
    server = serve(f'[[turn]]\ntext = "ok"\nfault = "{fault}"\nfault_times = 3\n')
    anthropic = httpx.post(
        f"{server.url}/v1/messages", json=_anthropic([{"role": "user", "content": "go"}])
    )
    responses = httpx.post(
        f"{server.url}/v1/responses", json={"model": "m", "tools": CODEX_TOOLS, "input": "go"}
    )
    gemini = httpx.post(
        f"{server.url}/v1beta/models/g:generateContent",
        json={"contents": [{"role": "user", "parts": [{"text": "go"}]}], "tools": GEMINI_TOOLS},
    )
    assert (anthropic.status_code, responses.status_code, gemini.status_code) == statuses
    assert anthropic.json()["type"] == "error" and "retry-after-ms" in anthropic.headers
    assert "error" in responses.json() and "error" in gemini.json()
    retry = httpx.post(
        f"{server.url}/v1/messages", json=_anthropic([{"role": "user", "content": "go"}])
    )
    assert retry.json()["content"][0]["text"] == "ok"
    assert [r["fault"] for r in server.requests] == [fault, fault, fault, None]


def test_a_stalled_stream_hangs_mid_way_until_the_server_stops(
    serve: Callable[..., ModelServer],
) -> None:
    server = serve('[[turn]]\ntext = "never finished"\nfault = "stall"\n')
    body = _anthropic([{"role": "user", "content": "go"}], stream=True)
    received: list[str] = []
    with httpx.stream(
        "POST", f"{server.url}/v1/messages", json=body, timeout=httpx.Timeout(5, read=1.0)
    ) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            for line in response.iter_lines():
                received.append(line)
    assert "event: message_start" in received and "event: message_stop" not in received
    assert server.requests[-1]["fault"] == "stall"  # logged while it hangs


def test_a_timed_stall_resumes_the_stream(serve: Callable[..., ModelServer]) -> None:
    server = serve('[[turn]]\ntext = "late"\nfault = "stall"\nstall_seconds = 0.3\n')
    body = {"contents": [{"role": "user", "parts": [{"text": "go"}]}], "tools": GEMINI_TOOLS}
    response = httpx.post(
        f"{server.url}/v1beta/models/g:streamGenerateContent?alt=sse", json=body, timeout=5
    )
    text = "".join(d["candidates"][0]["content"]["parts"][0]["text"] for _, d in _events(response))
    assert text == "late"


def test_a_dropped_connection_breaks_the_stream_and_the_retry_succeeds(
    serve: Callable[..., ModelServer],
) -> None:
    server = serve('[[turn]]\ntext = "second try"\nfault = "drop"\n')
    body = {"model": "m", "stream": True, "tools": CODEX_TOOLS, "input": "go"}
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{server.url}/v1/responses", json=body, timeout=5)
    events = _events(httpx.post(f"{server.url}/v1/responses", json=body, timeout=5))
    assert events[-1][0] == "response.completed"
    assert [r["fault"] for r in server.requests] == ["drop", None]


def test_a_dropped_plain_request_gets_no_answer(serve: Callable[..., ModelServer]) -> None:
    server = serve('[[turn]]\ntext = "x"\nfault = "drop"\n')
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(
            f"{server.url}/v1/messages", json=_anthropic([{"role": "user", "content": "go"}])
        )


def test_context_used_reports_usage_that_fills_the_window(
    serve: Callable[..., ModelServer],
) -> None:
    server = serve(
        "[model]\ncontext_window = 200000\n"
        '[[turn]]\ntext = "big"\ncontext_used = 0.95\noutput_tokens = 7\n'
    )
    events = _events(
        httpx.post(
            f"{server.url}/v1/messages",
            json=_anthropic([{"role": "user", "content": "go"}], stream=True),
        )
    )
    assert events[0][1]["message"]["usage"]["input_tokens"] == 190_000
    assert events[-2][1]["usage"]["output_tokens"] == 7


def test_every_request_is_logged_as_a_json_line(
    serve: Callable[..., ModelServer],
    tmp_path: Path,
) -> None:
    log = tmp_path / "requests.jsonl"
    server = serve(log_path=log)
    httpx.post(f"{server.url}/v1/messages", json=_anthropic([{"role": "user", "content": "go"}]))
    assert httpx.post(f"{server.url}/v1/nothing", json={}).status_code == 404
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines == server.requests
    assert [(r["n"], r["status"], r.get("turn")) for r in lines] == [(1, 200, 1), (2, 404, None)]
    assert lines[0]["reply"]["tool"] == "Bash" and lines[0]["tool_names"] == ["Bash"]
