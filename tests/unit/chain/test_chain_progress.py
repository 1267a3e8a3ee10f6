"""Which of an agent node's work marks moved: each one counts, the first reading is the
baseline, and a mark that could not be read (None) never counts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bosun.chain.progress import WorkMarks, moved

BEFORE = WorkMarks(screen=10.0, tool_call=20.0, commit="abc", model_request=30.0, checkpoint=None)


def test_the_first_reading_is_the_baseline() -> None:
    assert moved(None, BEFORE) == []


def test_nothing_moved_is_no_progress() -> None:
    assert moved(BEFORE, replace(BEFORE)) == []


@pytest.mark.parametrize(
    ("change", "source"),
    [
        ({"screen": 11.0}, "screen"),
        ({"tool_call": 21.0}, "tool_call"),
        ({"commit": "def"}, "commit"),
        ({"model_request": 31.0}, "model_request"),
        ({"checkpoint": 5.0}, "checkpoint"),
    ],
)
def test_each_mark_that_moves_is_progress(change: dict[str, object], source: str) -> None:
    assert moved(BEFORE, replace(BEFORE, **change)) == [source]  # type: ignore[arg-type]


def test_a_mark_that_could_not_be_read_is_not_progress() -> None:
    assert moved(BEFORE, replace(BEFORE, screen=None, commit=None)) == []
