"""Auto-approve's pure decision: a dialog line matching a preset pattern, nothing else."""

from __future__ import annotations

import pytest

from bosun.base.errors import InvalidInput
from bosun.supervisor.policies.approve import approval_for, check_patterns

DIALOG = """
● working on step 3
╭─ Permission ─
│  Bash(npm test -- --watch=false)
Allow this action? [y/n]
"""


def test_a_dialog_line_matching_a_pattern_is_approved_with_the_rule_and_request() -> None:
    found = approval_for(DIALOG, ["Bash(git push*)", "Bash(npm test*)"])
    assert found is not None
    assert (found.pattern, found.request) == ("Bash(npm test*)", "Bash(npm test -- --watch=false)")


def test_no_pattern_no_match_or_an_old_line_above_the_dialog_approves_nothing() -> None:
    assert approval_for(DIALOG, []) is None
    assert approval_for(DIALOG, ["Bash(rm *)"]) is None
    old = "Bash(npm test)\n" + "\n".join(f"line {i}" for i in range(20)) + "\nAllow? [y/n]"
    assert approval_for(old, ["Bash(npm test*)"]) is None  # scrolled out of the dialog


@pytest.mark.parametrize("pattern", ["*", "**", "?*", " * "])
def test_a_pattern_that_matches_every_prompt_is_refused(pattern: str) -> None:
    with pytest.raises(InvalidInput, match="matches every prompt"):
        check_patterns([pattern], "runtime preset sim")
    assert check_patterns(["Bash(npm test*)"], "x") == ("Bash(npm test*)",)
