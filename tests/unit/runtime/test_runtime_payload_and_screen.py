"""Payload safety and screen reading: pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bosun.base.errors import InvalidInput
from bosun.runtime.presets import load_presets
from bosun.runtime.sanitize import clean_text, prepare_payload
from bosun.runtime.screen import ScreenState, classify, composer_holds, probe_for

SIM = load_presets()["sim"].screen
CLAUDE = load_presets()["claude"].screen


def test_escape_sequences_and_controls_go_newlines_and_tabs_stay() -> None:
    raw = "a\x1b[1;31mb\x1b]0;t\x07c\x1bPq#\x1b\\d\x00\x08\x7f\x9b2Je\r\nf\tg\rh"
    assert clean_text(raw) == "abcde\nf\tg\nh"


@given(st.text())
def test_cleaned_text_has_no_control_characters_but_newline_and_tab(text: str) -> None:
    cleaned = clean_text(text)
    assert all(c in "\n\t" or (ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F) for c in cleaned)


def test_text_over_the_limit_is_refused_not_truncated() -> None:
    with pytest.raises(InvalidInput) as err:
        prepare_payload("é" * 10, limit=19)  # 20 bytes in UTF-8
    assert err.value.code == "too_large"
    assert prepare_payload("é" * 9, limit=18) == "é" * 9


def test_sim_screens_classify_by_the_lowest_matching_line() -> None:
    idle = "● received 1: hi\n✻ Working… (2s · esc to interrupt)\ndone\n── x ──\nsim>"
    busy = "sim> typed meanwhile\n✻ Working… (3s · esc to interrupt)"
    trust = "Do you trust the files in this folder?\n  /w\n❯ 1. Yes, proceed\n  2. No, exit"
    assert classify(idle, SIM) is ScreenState.READY
    assert classify(busy, SIM) is ScreenState.BUSY
    assert classify(trust, SIM) is ScreenState.WAITING_INPUT
    assert classify("starting…", SIM) is ScreenState.UNKNOWN


def test_claude_screens_classify_by_priority_within_the_window() -> None:
    busy = "✻ Thinking… (esc to interrupt)\n╭────╮\n│ > │\n╰────╯\n  ? for shortcuts"
    idle = "╭────╮\n│ > │\n╰────╯\n  ? for shortcuts"
    assert classify(busy, CLAUDE) is ScreenState.BUSY
    assert classify(idle, CLAUDE) is ScreenState.READY


def test_text_sitting_in_the_sim_composer_is_pending_until_it_leaves() -> None:
    probe = probe_for("fix the tests\nthen push")
    assert composer_holds("── x ──\nsim> fix the tests⏎then push", probe, SIM)
    assert not composer_holds("● received 1: fix the tests then push\n── x ──\nsim>", probe, SIM)
    # still in the composer while a busy line shows under it: not taken
    assert composer_holds(
        "sim> fix the tests⏎then push\n✻ Working… (1s · esc to interrupt)", probe, SIM
    )


def test_an_acknowledgement_below_an_old_composer_line_means_taken() -> None:
    patterns = load_presets()["sim"].screen
    screen = "sim> hello\n● received 4: hello"
    assert not composer_holds(screen, probe_for("hello"), patterns)


def test_claude_paste_placeholder_counts_as_pending() -> None:
    screen = "╭────╮\n│ > [Pasted text #1 +12 lines] │\n╰────╯"
    assert composer_holds(screen, probe_for("x\ny"), CLAUDE)
    assert not composer_holds("╭────╮\n│ >   │\n╰────╯", probe_for("x\ny"), CLAUDE)


def test_the_probe_is_the_end_of_the_last_non_blank_line() -> None:
    assert probe_for("first\nsecond   line\n\n") == "second line"
    assert probe_for("x" * 40) == "x" * 24
