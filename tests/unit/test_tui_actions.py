"""Each key of the terminal UI names one bosun command."""

from __future__ import annotations

import sys

from bosun.tui import actions


def test_every_action_is_a_bosun_command_with_json() -> None:
    assert actions.stop("polecat/t").argv == [
        sys.executable, "-m", "bosun", "agent", "stop", "polecat/t", "--json"
    ]
    assert actions.nudge("polecat/t").shown == "bosun agent nudge polecat/t"
    assert actions.send("polecat/t", "hi there").words == ("agent", "send", "polecat/t", "hi there")
    assert actions.restart("polecat/t").words[:2] == ("agent", "restart")
    assert actions.enqueue("bosun/t", "polecat/t", "bo-1").words == (
        "merge-queue", "enqueue", "bosun/t", "--identity", "polecat/t", "--work", "bo-1"
    )
    assert actions.gate_answer("g1", "ask", "No").words == ("run", "answer", "g1", "ask", "No")
    assert actions.approve_merge("mr-1").words == ("mr", "approve", "mr-1")


def test_approve_deny_and_choices_are_answered_by_the_cli() -> None:
    approve = actions.answer("polecat/t", "approve")
    assert approve.words == ("agent", "answer", "polecat/t", "approve")
    keys = actions.answer("polecat/t", "2 Enter")
    assert keys.words == ("agent", "answer", "polecat/t", "2", "Enter")
