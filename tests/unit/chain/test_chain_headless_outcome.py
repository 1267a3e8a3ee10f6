"""A headless node's outcome comes from the agent's own result; failures are classified."""

from __future__ import annotations

import json

import pytest

from bosun.chain.headless_outcome import headless_outcome
from bosun.pipeline.outcomes import Outcome
from bosun.runtime.headless import HeadlessResult
from bosun.runtime.headless_events import StreamSummary


def _result(
    fmt: str, *events: dict[str, object], code: int | None = 0, **kw: object
) -> HeadlessResult:
    summary = StreamSummary(fmt)
    for event in events:
        summary.feed(json.dumps(event))
    return HeadlessResult(pid=1, exit_code=code, summary=summary, stderr_tail="", seconds=2.0, **kw)  # type: ignore[arg-type]


CLAUDE_OK = {
    "type": "result",
    "subtype": "success",
    "is_error": False,
    "result": "Done.",
    "session_id": "c-1",
}


def test_a_successful_result_is_a_success_with_the_answer_and_session_in_context() -> None:
    outcome = headless_outcome("plan", "claude", _result("claude_stream_json", CLAUDE_OK))
    assert outcome.status == "success" and outcome.notes == "Done."
    assert outcome.context_updates == {"last_response": "Done.", "plan.session_id": "c-1"}


def test_the_status_file_the_agent_wrote_refines_a_successful_run() -> None:
    reported = Outcome("fail", failure_reason="tests are red", preferred_label="fix")
    outcome = headless_outcome("plan", "claude", _result("claude_stream_json", CLAUDE_OK), reported)
    assert (outcome.status, outcome.failure_reason, outcome.preferred_label) == (
        "fail",
        "tests are red",
        "fix",
    )


@pytest.mark.parametrize(
    ("fmt", "events", "code", "cls", "words"),
    [
        ("claude_stream_json", [{"type": "result", "is_error": True, "api_error_status": 429,
          "subtype": "success", "result": "API Error: Request rejected (429)"}], 1,
         "transient_infra", "HTTP 429"),
        ("codex_json", [{"type": "turn.failed", "error": {"message":
          "exceeded retry limit, last status: 503 Service Unavailable"}}], 1,
         "transient_infra", "exit 1"),
        ("gemini_stream_json", [{"type": "result", "status": "error",
          "error": {"message": "[API Error: terminated]"}}], 1, "transient_infra", "terminated"),
        ("claude_stream_json", [{"type": "result", "is_error": True,
          "subtype": "error_max_turns", "result": ""}], 1, "budget_exhausted", "error_max_turns"),
        ("claude_stream_json", [{"type": "system", "subtype": "init", "session_id": "c"}], 0,
         "transient_infra", "no result event"),
        ("codex_json", [], 2, "deterministic", "exit 2"),
    ],
)  # fmt: skip
def test_failures_carry_what_the_cli_said_and_a_class(
    fmt: str, events: list[dict[str, object]], code: int, cls: str, words: str
) -> None:
    outcome = headless_outcome("n", "cli", _result(fmt, *events, code=code))
    assert outcome.status == "fail" and outcome.failure_class == cls, outcome
    assert words in outcome.failure_reason and outcome.failure_reason.startswith("cli: ")


def test_cancel_and_timeout_end_the_node_with_their_own_classes() -> None:
    cancelled = headless_outcome(
        "n", "cli", _result("codex_json", code=None, stopped="run stopped")
    )
    assert (cancelled.failure_class, cancelled.failure_reason) == (
        "canceled",
        "canceled: run stopped",
    )
    timed = headless_outcome("n", "cli", _result("codex_json", code=None, timed_out=True))
    assert timed.failure_class == "deterministic" and "node timeout" in timed.failure_reason


def test_a_resume_that_fails_before_naming_a_session_never_started() -> None:
    from bosun.chain.headless_outcome import resume_never_started

    # Gemini CLI 0.61 when the dropped first turn left no saved chat: exit 42, no events
    assert resume_never_started(_result("gemini_stream_json", code=42))
    started = {"type": "init", "session_id": "g-1"}
    assert not resume_never_started(_result("gemini_stream_json", started, code=1))
    assert not resume_never_started(_result("gemini_stream_json", code=None, timed_out=True))
    assert not resume_never_started(_result("gemini_stream_json", code=0))
