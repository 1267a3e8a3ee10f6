"""Input decoding: typing versus pasting, bracketed paste, control keys, escapes."""

from __future__ import annotations

from bosun.runtime.sim.keys import InputDecoder, Key


def kinds(keys: list[Key]) -> list[tuple[str, str, bool]]:
    return [(str(k.kind), k.text, k.pasted) for k in keys]


def test_characters_typed_at_human_speed_are_not_a_paste() -> None:
    dec = InputDecoder()
    keys = [k for i, ch in enumerate(b"hey") for k in dec.feed(bytes([ch]), i * 0.05)]
    assert kinds(keys) == [("text", "h", False), ("text", "e", False), ("text", "y", False)]


def test_many_characters_in_one_read_are_a_paste() -> None:
    assert kinds(InputDecoder().feed(b"hello", 1.0)) == [("text", "hello", True)]
    assert kinds(InputDecoder().feed(b"hi", 1.0)) == [("text", "hi", False)]


def test_characters_within_a_few_ms_of_each_other_add_up_to_a_burst() -> None:
    dec = InputDecoder()
    assert dec.feed(b"a", 1.000)[0].pasted is False
    assert dec.feed(b"b", 1.004)[0].pasted is False
    assert dec.feed(b"c", 1.008)[0].pasted is True
    assert dec.feed(b"d", 1.200)[0].pasted is False  # a pause ends the burst


def test_cr_is_enter_and_lf_is_a_newline_outside_a_paste() -> None:
    keys = InputDecoder().feed(b"ab\rc\nd", 1.0)
    assert kinds(keys) == [("text", "ab", False), ("enter", "", False), ("text", "c\nd", True)]


def test_a_bracketed_paste_is_one_key_and_its_newlines_never_submit() -> None:
    keys = InputDecoder().feed(b"\x1b[200~line one\rline two\r\nthree\x1b[201~\r", 2.0)
    assert kinds(keys) == [("paste", "line one\nline two\nthree", True), ("enter", "", False)]
    assert keys[0].at == 2.0


def test_a_paste_split_across_reads_even_inside_its_end_marker() -> None:
    dec = InputDecoder()
    assert dec.feed(b"\x1b[20", 1.0) == []
    assert dec.feed(b"0~first ", 1.001) == []
    assert dec.feed(b"second\x1b[2", 1.002) == []
    keys = dec.feed(b"01~", 1.003)
    assert kinds(keys) == [("paste", "first second", True)]
    assert keys[0].at == 1.003


def test_a_lone_escape_waits_for_more_bytes_then_flushes_as_escape() -> None:
    dec = InputDecoder()
    assert dec.feed(b"\x1b", 1.0) == []
    assert dec.waiting
    assert kinds(dec.flush(1.06)) == [("escape", "", False)]
    assert not dec.waiting
    assert kinds(InputDecoder().feed(b"\x1b\x1b", 1.0)) == [("escape", "", False)]


def test_arrow_keys_function_keys_and_alt_combinations_are_ignored() -> None:
    keys = InputDecoder().feed(b"\x1b[A\x1b[1;5C\x1bOP\x1bx\x1b[I", 1.0)
    assert keys == []


def test_editing_and_control_keys() -> None:
    keys = InputDecoder().feed(b"\x7f\x08\x15\x03\x04\x01\t", 1.0)
    assert kinds(keys) == [
        ("backspace", "", False),
        ("backspace", "", False),
        ("clear", "", False),
        ("interrupt", "", False),
        ("eof", "", False),
        ("text", " ", False),
    ]


def test_utf8_split_across_reads_is_decoded_whole() -> None:
    dec = InputDecoder()
    data = "é✻".encode()
    first = dec.feed(data[:1], 1.0)
    rest = dec.feed(data[1:], 2.0)
    assert "".join(k.text for k in first + rest) == "é✻"
