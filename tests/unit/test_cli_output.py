"""Text for people: relative times, colour only on a terminal, tables that fit the terminal
by leaving out columns (never by cutting a name)."""

from __future__ import annotations

import io

import pytest

from bosun.cli.output import (
    ago,
    colour_enabled,
    for_terminal,
    paint,
    paint_word,
    table,
    visible_len,
)


def test_relative_times_are_short() -> None:
    assert [ago(s) for s in (None, 0, 12.4, 90, 5400, 3 * 86400)] == [
        "-", "0s ago", "12s ago", "2m ago", "1.5h ago", "3.0d ago",
    ]  # fmt: skip


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "tty", "on"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"TERM": "dumb"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
    ],
)
def test_colour_only_on_a_terminal_and_never_under_no_color(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, on: bool
) -> None:
    for var in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert colour_enabled(Tty() if tty else io.StringIO()) is on


def test_painted_words_keep_their_visible_width() -> None:
    red = paint_word("quarantined", enabled=True)
    assert visible_len(red) == len("quarantined")
    assert for_terminal(red) == "\033[31mquarantined\033[0m"
    assert paint("x", "green", enabled=False) == "x"
    assert paint_word("unknown-word", enabled=True) == "unknown-word"


def test_a_wide_table_leaves_out_columns_in_order_and_never_cuts_a_name() -> None:
    name = "polecat/a-rather-long-agent-name-that-matters"
    rows = [(name, paint_word("active", enabled=True), "12345", "%9", "executing", "12s ago")]
    headers = ("AGENT", "STATUS", "PID", "PANE", "PHASE", "SEEN")
    full = table(rows, headers)
    assert "PANE" in full and "PID" in full
    fitted = table(rows, headers, drop=("PANE", "PID", "PHASE"), width=80)
    lines = fitted.splitlines()
    assert all(visible_len(line) <= 80 for line in lines)
    assert name in lines[1] and "PANE" not in lines[0] and "PHASE" in lines[0]
    narrow = table(rows, headers, drop=("PANE", "PID", "PHASE"), width=40)
    assert name in narrow and "PHASE" not in narrow  # the name stays whole
    # The coloured cell does not throw the columns out of line.
    assert lines[0].index("SEEN") == visible_len(lines[1][: lines[1].index("12s ago")])


def test_stored_escape_sequences_never_reach_the_terminal_even_beside_colour() -> None:
    hostile = "polecat/\033]0;pwned\007x"
    shown = for_terminal(paint(hostile, "red", enabled=True))
    assert shown.startswith("\033[31m") and shown.endswith("\033[0m")
    assert "\\x1b]0;pwned\\x07x" in shown and shown.count("\033") == 2
