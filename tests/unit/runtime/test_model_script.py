"""Model scripts: parsed strictly, with a one-line error naming the turn and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bosun.base.errors import InvalidInput
from bosun.runtime.modelserver import parse_script
from bosun.runtime.modelserver.script import load_script


def test_a_script_parses_into_numbered_turns_and_model_settings() -> None:
    script = parse_script(
        '[model]\ncontext_window = 1000\nside_text = "t"\n'
        '[[turn]]\nshell = "ls"\n'
        '[[turn]]\ntool = "Write"\ninput = {file_path = "a", content = "b"}\n'
        '[[turn]]\ntext = "x"\nfault = "rate_limit"\nfault_times = 2\ncontext_used = 0.9\n'
    )
    assert [t.number for t in script.turns] == [1, 2, 3]
    assert script.context_window == 1000 and script.side_text == "t"
    assert script.turns[0].shell == "ls" and script.turns[0].calls_tool
    assert script.turns[1].tool_input == {"file_path": "a", "content": "b"}
    assert (script.turns[2].fault, script.turns[2].fault_times) == ("rate_limit", 2)


def test_next_turn_counts_replies_and_honours_match() -> None:
    script = parse_script('[[turn]]\ntext = "a"\n[[turn]]\ntext = "b"\nmatch = "go on"\n')
    assert script.next_turn(0, "anything").text == "a"  # type: ignore[union-attr]
    assert script.next_turn(1, "please go on").text == "b"  # type: ignore[union-attr]
    assert script.next_turn(1, "stop") is None
    assert script.next_turn(5, "go on") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[turn]\n", "not valid TOML"),
        ("[model]\ncontext_window = 5\n", "the script has no [[turn]] tables"),
        ('[[turn]]\ntext = "a"\ncolour = "red"\n', "turn 1: unknown field 'colour'"),
        (
            '[[turn]]\ntext = "a"\n[[turn]]\nshell = "ls"\ntool = "Bash"\n',
            "turn 2: give either shell or tool",
        ),
        ('[[turn]]\ntext = "a"\nfault = "explode"\n', "turn 1: unknown fault 'explode'"),
        ('[[turn]]\nfault = "stall"\n', "turn 1: needs text, shell or tool"),
        ('[[turn]]\ntext = "a"\ncontext_used = 2\n', "turn 1: context_used must be a fraction"),
        ('[[turn]]\ntext = "a"\ninput = {x = 1}\n', "turn 1: input needs tool"),
        ('[[turn]]\ntext = "a"\nfault_times = 0\n', "turn 1: fault_times must be an integer"),
        ("[[turn]]\ntext = 3\n", "turn 1: text must be a string"),
        ('[model]\nwindow = 3\n[[turn]]\ntext = "a"\n', "[model]: unknown field 'window'"),
        ("[turns]\n", "unknown table 'turns'"),
    ],
)
def test_a_bad_script_names_the_turn_and_field(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_script(text, "s.toml")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_script_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read model script"):
        load_script(tmp_path / "nope.toml")


def test_the_example_script_in_the_docs_parses() -> None:
    docs = Path(__file__).resolve().parents[3] / "docs" / "model-server.md"
    block = docs.read_text().split("```toml\n", 1)[1].split("```", 1)[0]
    script = parse_script(block, "docs/model-server.md")
    assert len(script.turns) == 4 and script.turns[1].fault == "overloaded"
