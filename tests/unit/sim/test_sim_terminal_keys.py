"""What the terminal does with each key: composer edits, prompts, swallow-Enter, dialogs.

Keys carry their arrival time, so the 120 ms swallow window is checked without sleeping.
"""

from __future__ import annotations

import json
from pathlib import Path

from bosun.runtime.sim.agent import SimAgent
from bosun.runtime.sim.console import TRUST_ANSWERS, AppendLog, Console, PromptLog
from bosun.runtime.sim.context import ContextMeter
from bosun.runtime.sim.faults import FaultLedger, faults_from_env
from bosun.runtime.sim.keys import Key, KeyKind
from bosun.runtime.sim.screen import Screen
from bosun.runtime.sim.terminal import Terminal
from bosun.runtime.sim.workspace import Workspace


def make_terminal(tmp_path: Path, faults: str | None = None) -> Terminal:
    console = Console(Screen(), AppendLog(tmp_path / "t.log"), lambda: None)
    agent = SimAgent(
        console,
        None,
        None,
        Workspace(tmp_path, {}),
        ContextMeter(None),
        FaultLedger(None),
        faults_from_env(faults),
    )
    console.started()
    return Terminal(agent, console, PromptLog(tmp_path / "prompts.jsonl"), wake_fd=-1)


def logged(tmp_path: Path) -> list[str]:
    path = tmp_path / "prompts.jsonl"
    return [json.loads(x)["text"] for x in path.read_text().splitlines()] if path.exists() else []


def test_text_is_edited_in_the_composer_and_enter_submits_it(tmp_path: Path) -> None:
    term = make_terminal(tmp_path)
    for key in (
        Key(KeyKind.TEXT, 1.0, "helo"),
        Key(KeyKind.BACKSPACE, 1.1),
        Key(KeyKind.TEXT, 1.2, "lo"),
        Key(KeyKind.ENTER, 1.3),
    ):
        term.handle(key)
    assert logged(tmp_path) == ["hello"]
    assert term.console.screen.composer == ""
    assert list(term.console.screen.lines)[-1] == "● received 1: hello"
    assert term.agent.jobs.qsize() == 2  # the start job and the prompt


def test_enter_on_an_empty_composer_and_ctrl_u_submit_nothing(tmp_path: Path) -> None:
    term = make_terminal(tmp_path)
    term.handle(Key(KeyKind.ENTER, 1.0))
    term.handle(Key(KeyKind.TEXT, 1.1, "oops"))
    term.handle(Key(KeyKind.CLEAR, 1.2))
    term.handle(Key(KeyKind.ENTER, 1.3))
    assert logged(tmp_path) == []


def test_swallow_enter_drops_an_enter_within_120_ms_of_a_paste_only(tmp_path: Path) -> None:
    term = make_terminal(tmp_path, '{"swallow_enter": true}')
    term.handle(Key(KeyKind.PASTE, 5.000, "line 1\nline 2", pasted=True))
    term.handle(Key(KeyKind.ENTER, 5.119))
    assert logged(tmp_path) == []
    assert term.console.screen.composer == "line 1\nline 2"
    assert "[enter swallowed" in (tmp_path / "t.log").read_text()
    term.handle(Key(KeyKind.ENTER, 5.121))
    assert logged(tmp_path) == ["line 1\nline 2"]
    term.handle(Key(KeyKind.TEXT, 6.0, "burst text", pasted=True))  # a fast non-bracketed paste
    term.handle(Key(KeyKind.ENTER, 6.05))
    assert len(logged(tmp_path)) == 1
    term.handle(Key(KeyKind.TEXT, 7.0, "k", pasted=False))  # typed: Enter right after counts
    term.handle(Key(KeyKind.ENTER, 7.01))
    assert logged(tmp_path) == ["line 1\nline 2", "burst textk"]


def test_without_the_fault_an_immediate_enter_after_a_paste_submits(tmp_path: Path) -> None:
    term = make_terminal(tmp_path)
    term.handle(Key(KeyKind.PASTE, 5.0, "go", pasted=True))
    term.handle(Key(KeyKind.ENTER, 5.001))
    assert logged(tmp_path) == ["go"]


def test_keys_before_the_composer_is_shown_are_dropped(tmp_path: Path) -> None:
    term = make_terminal(tmp_path)
    term.console.screen.starting = True
    term.handle(Key(KeyKind.TEXT, 1.0, "too early"))
    term.handle(Key(KeyKind.ENTER, 1.1))
    assert term.console.screen.composer == "" and logged(tmp_path) == []
    assert "[text before the composer: dropped]" in (tmp_path / "t.log").read_text()


def test_slash_exit_and_ctrl_c_stop_with_code_0(tmp_path: Path) -> None:
    term = make_terminal(tmp_path)
    term.handle(Key(KeyKind.PASTE, 1.0, "/exit", pasted=True))
    term.handle(Key(KeyKind.ENTER, 2.0))
    assert term.stop_code == 0
    other = make_terminal(tmp_path)
    other.handle(Key(KeyKind.INTERRUPT, 1.0))
    assert other.stop_code == 0


def test_dialog_keys_answer_the_dialog_and_never_reach_the_composer(tmp_path: Path) -> None:
    term = make_terminal(tmp_path)
    console = term.console
    console.open_dialog(("Do you trust the files in this folder?",), TRUST_ANSWERS)
    term.handle(Key(KeyKind.TEXT, 1.0, "x2"))
    assert console.answered == "no"
    assert console.screen.composer == ""
