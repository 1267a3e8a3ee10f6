"""The screen contract the `sim` preset's patterns rely on, and row-diff drawing."""

from __future__ import annotations

from bosun.runtime.sim.screen import (
    BUSY,
    FrameWriter,
    Screen,
    composer_line,
    permission_dialog,
    trust_dialog,
)


def test_idle_the_bottom_row_is_the_composer_with_the_unsent_text() -> None:
    screen = Screen(
        identity="polecat/toast", composer="half typed", context_percent=7, starting=False
    )
    screen.add("● received 1: hi")
    rows = screen.frame(60, 8, now=0.0)
    assert len(rows) == 8
    assert rows[0] == "● received 1: hi"
    assert rows[-1] == "sim> half typed"
    assert rows[-2].startswith("── polecat/toast · context 7% used ─")
    assert not any(BUSY in r for r in rows)
    assert screen.cursor(60, 8) == (8, len("sim> half typed") + 1)


def test_working_the_busy_line_is_lowest_and_the_composer_stays_visible() -> None:
    screen = Screen(busy_label="Working", busy_since=10.0, composer="queued", starting=False)
    rows = screen.frame(60, 6, now=13.4)
    assert rows[-1] == "✻ Working… (3s · esc to interrupt)"
    assert rows[-2] == "sim> queued"
    assert screen.cursor(60, 6) == (5, len("sim> queued") + 1)


def test_a_dialog_replaces_the_composer() -> None:
    screen = Screen(dialog=trust_dialog("/work/tree"), composer="x")
    rows = screen.frame(80, 10, now=0.0)
    assert "Do you trust the files in this folder?" in rows
    assert rows[-2] == "❯ 1. Yes, proceed" and rows[-1] == "  2. No, exit"
    assert not any(r.startswith("sim>") for r in rows)
    screen.dialog = permission_dialog("push the branch")
    assert screen.frame(80, 10, now=0.0)[-1] == "Allow this action? [y/n]"


def test_multi_line_and_long_composer_text_shows_its_end_on_one_row() -> None:
    assert composer_line("a\nb\tc", 40) == "sim> a⏎b c"
    line = composer_line("x" * 100 + "THE END", 40)
    assert line.startswith("sim> …") and line.endswith("THE END") and len(line) == 39


def test_history_wraps_and_keeps_only_the_newest_rows() -> None:
    screen = Screen(starting=False)
    for i in range(30):
        screen.add(f"line {i}")
    screen.add("w" * 50)
    rows = screen.frame(21, 6, now=0.0)
    assert rows[:4] == ["line 29", "w" * 20, "w" * 20, "w" * 10]
    assert rows[-1] == "sim> "


def test_the_writer_redraws_only_changed_rows_and_nothing_when_unchanged() -> None:
    writer = FrameWriter()
    first = writer.render(["a", "b", "sim> "], (3, 6))
    assert first.startswith("\x1b[H\x1b[2J") and "\x1b[1;1Ha\x1b[K" in first
    second = writer.render(["a", "c", "sim> "], (3, 6))
    assert second == "\x1b[2;1Hc\x1b[K\x1b[3;6H"
    assert writer.render(["a", "c", "sim> "], (3, 6)) == ""


def test_while_starting_there_is_no_composer_and_no_busy_line() -> None:
    rows = Screen(composer="early").frame(60, 6, now=0.0)
    assert rows[-1] == "  starting…"
    assert not any(r.startswith("sim>") or BUSY in r for r in rows)
