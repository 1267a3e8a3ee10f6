"""Reading a dialog's numbered options off the screen, and turning a CHOICE into keys."""

from __future__ import annotations

import pytest

from bosun.agents.answer import Choice, dialog_choices, keys_for
from bosun.base.errors import InvalidInput

CLAUDE = """
 Do you want to proceed?
 ❯ 1. Yes
   2. Yes, and don't ask again for git push commands
   3. No, and tell Claude what to do differently (esc)
"""


def test_numbered_options_are_read_with_their_keys() -> None:
    assert dialog_choices(CLAUDE) == [
        Choice("1", "Yes"),
        Choice("2", "Yes, and don't ask again for git push commands"),
        Choice("3", "No, and tell Claude what to do differently (esc)"),
    ]
    assert dialog_choices("│ 1) Allow once │\n│ 2) No │") == [
        Choice("1", "Allow once"),
        Choice("2", "No"),
    ]


def test_a_choice_becomes_the_keys_that_give_it() -> None:
    choices = dialog_choices(CLAUDE)
    approve, deny = ("1",), ("Escape",)
    assert keys_for(["approve"], choices, approve, deny) == ("1",)
    assert keys_for(["deny"], choices, approve, deny) == ("Escape",)
    assert keys_for(["2"], choices, approve, deny) == ("2",)
    assert keys_for(["yes,", "and", "don't", "ask", "again", "for", "git", "push", "commands"],
                    choices, approve, deny) == ("2",)
    assert keys_for(["y"], [], ("y",), ("n",)) == ("y",)  # no numbered options: keys
    assert keys_for(["1", "Enter"], choices, approve, deny) == ("1", "Enter")


def test_a_label_that_is_no_option_on_screen_is_refused_with_the_options() -> None:
    with pytest.raises(InvalidInput, match="1. Yes"):
        keys_for(["Maybe"], dialog_choices(CLAUDE), ("1",), ("Escape",))
