"""Context usage in the shape of Claude Code's status-line `context_window` object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bosun.runtime.sim.context import ContextMeter, ContextModel
from bosun.runtime.sim.taskscript import TaskScriptError

CLAUDE_FIELDS = {
    "total_input_tokens",
    "total_output_tokens",
    "context_window_size",
    "used_percentage",
    "remaining_percentage",
    "current_usage",
}
USAGE_FIELDS = {
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
}


def test_the_file_has_exactly_claude_codes_context_window_fields(tmp_path: Path) -> None:
    path = tmp_path / "context" / "polecat-toast.json"
    meter = ContextMeter(path)
    meter.write()
    data = json.loads(path.read_text())
    assert set(data) == CLAUDE_FIELDS
    assert set(data["current_usage"]) == USAGE_FIELDS
    assert data["context_window_size"] == 200_000
    assert data["used_percentage"] + data["remaining_percentage"] == 100
    usage = data["current_usage"]
    used_tokens = (
        usage["input_tokens"]
        + usage["cache_creation_input_tokens"]
        + usage["cache_read_input_tokens"]
    )
    assert data["used_percentage"] == round(100 * used_tokens / 200_000)  # input tokens only


def test_usage_grows_per_step_and_per_prompt(tmp_path: Path) -> None:
    path = tmp_path / "ctx.json"
    meter = ContextMeter(
        path, ContextModel(window=10_000, start=1_000, per_step=1_000, per_prompt=500)
    )
    seen = [meter.used_percentage]
    meter.step(output_chars=400)
    seen.append(json.loads(path.read_text())["used_percentage"])
    meter.prompt("please continue")
    seen.append(json.loads(path.read_text())["used_percentage"])
    assert seen[0] < seen[1] < seen[2]
    totals = json.loads(path.read_text())
    assert totals["total_input_tokens"] > 0 and totals["total_output_tokens"] > 0


def test_usage_never_passes_the_window() -> None:
    meter = ContextMeter(None, ContextModel(window=1_000, start=0, per_step=600))
    for _ in range(5):
        meter.step()
    snap = meter.snapshot()
    assert snap["used_percentage"] == 100 and snap["remaining_percentage"] == 0


def test_exhaustion_climbs_past_ninety_percent(tmp_path: Path) -> None:
    path = tmp_path / "ctx.json"
    meter = ContextMeter(path)
    meter.exhaust()
    assert json.loads(path.read_text())["used_percentage"] > 90


def test_a_task_script_can_size_the_window_and_bad_sizes_are_refused() -> None:
    assert ContextModel.from_script({"window": 50_000}).window == 50_000
    for bad, message in (
        ({"window": 10}, "window must be"),
        ({"per_step": -1}, "per_step"),
        ({"start": "x"}, "start"),
        ({"size": 1}, "unknown key 'size'"),
    ):
        with pytest.raises(TaskScriptError, match=message):
            ContextModel.from_script(bad)
