"""The sim agent's terminal behaviour in real tmux: composer, paste versus typing,
swallow-Enter, the prompt log, dialogs, and how it exits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from simpane import BOSUN, StartSim

from waiting import wait_for


def test_a_typed_prompt_is_acknowledged_logged_and_the_composer_clears(
    sim: StartSim,
    tmp_path: Path,
) -> None:
    pane = sim(tmp_path)
    pane.wait_idle()
    assert pane.bottom() == "sim>"
    pane.type("hey you")
    assert pane.bottom() == "sim> hey you"
    pane.keys("Enter")
    pane.wait_shows("● received 1: hey you")
    pane.wait_idle()
    assert pane.bottom() == "sim>"
    assert [(p["n"], p["text"]) for p in pane.prompts()] == [(1, "hey you")]
    assert "> hey you" in pane.transcript.read_text()


def test_a_multi_line_paste_stays_in_the_composer_and_is_one_prompt(
    sim: StartSim,
    tmp_path: Path,
) -> None:
    pane = sim(tmp_path)
    pane.wait_idle()
    pane.paste("first line\nsecond line\nthird line")
    wait_for(
        lambda: pane.bottom() == "sim> first line⏎second line⏎third line",
        what="the paste in the composer",
    )
    assert pane.prompts() == []  # pasted newlines never submit
    pane.keys("Enter")
    wait_for(lambda: len(pane.prompts()) == 1, what="one prompt")
    assert pane.prompts()[0]["text"] == "first line\nsecond line\nthird line"
    pane.wait_shows("● received 1: first line second line third line")


def test_without_the_fault_an_enter_right_after_a_paste_submits(
    sim: StartSim,
    tmp_path: Path,
) -> None:
    pane = sim(tmp_path)
    pane.wait_idle()
    pane.paste("nudge: continue", "Enter")
    wait_for(lambda: [p["text"] for p in pane.prompts()] == ["nudge: continue"], what="the prompt")


def test_swallow_enter_ignores_an_enter_right_after_a_paste_but_not_after_typing(
    sim: StartSim,
    tmp_path: Path,
) -> None:
    pane = sim(tmp_path, {"BOSUN_SIM_FAULTS": '{"swallow_enter": true}'})
    pane.wait_idle()
    pane.paste("please continue your hook", "Enter")
    wait_for(lambda: "[enter swallowed" in pane.transcript.read_text(), what="a swallowed Enter")
    assert pane.prompts() == []
    assert pane.bottom() == "sim> please continue your hook"

    presses = 0

    def press_until_delivered() -> bool:  # what a careful driver does: verify, re-press
        nonlocal presses
        if not pane.bottom().endswith("continue your hook"):
            return True
        presses += 1
        pane.keys("Enter")
        return False

    wait_for(press_until_delivered, 20, interval=0.1, what="delivery")
    wait_for(lambda: len(pane.prompts()) == 1, what="the prompt log entry")
    assert presses >= 1
    assert [p["text"] for p in pane.prompts()] == ["please continue your hook"]

    pane.wait_idle()
    pane.type("ok")  # typed at human speed: not a paste, so its Enter is kept
    pane.keys("Enter")
    wait_for(lambda: [p["text"] for p in pane.prompts()][-1:] == ["ok"], what="typed prompt")
    assert len(pane.prompts()) == 2


def test_the_trust_dialog_blocks_the_composer_and_2_exits_with_1(
    sim: StartSim,
    tmp_path: Path,
) -> None:
    pane = sim(tmp_path, {"BOSUN_SIM_FAULTS": '{"trust_dialog": true}'})
    pane.wait_shows("Do you trust the files in this folder?")
    screen = pane.screen()
    assert "1. Yes, proceed" in screen and "2. No, exit" in screen
    assert not pane.bottom().startswith("sim>")
    pane.keys("2")
    assert pane.wait_exit() == 1


def test_the_trust_dialog_accepts_enter_and_then_the_composer_appears(
    sim: StartSim,
    tmp_path: Path,
) -> None:
    pane = sim(tmp_path, {"BOSUN_SIM_FAULTS": '{"trust_dialog": true}'})
    pane.wait_shows("Do you trust the files in this folder?")
    pane.keys("Enter")
    pane.wait_idle()
    assert "Do you trust" not in pane.screen()


def test_exit_codes_slash_exit_and_sigterm_are_clean(sim: StartSim, tmp_path: Path) -> None:
    pane = sim(tmp_path, args=["--json"])
    pane.wait_idle()
    pane.type("/exit")
    pane.keys("Enter")
    assert pane.wait_exit() == 0
    assert '"prompts": 1' in pane.screen()  # --json: how the session ended, after the screen
    pane.respawn()
    pane.wait_idle()
    os.kill(pane.pid(), signal.SIGTERM)
    assert pane.wait_exit() == 0
    pane.respawn()
    pane.wait_idle()
    pane.keys("C-c")  # the terminal turns it into SIGINT
    assert pane.wait_exit() == 0


def test_an_initial_prompt_is_accepted_like_a_typed_one(sim: StartSim, tmp_path: Path) -> None:
    pane = sim(tmp_path, args=["--prompt", "You are polecat/toast.\nContinue your hook."])
    pane.wait_shows("● received 1: You are polecat/toast. Continue your hook.")
    pane.wait_shows("● Nothing on my hook.")
    assert [p["text"] for p in pane.prompts()] == ["You are polecat/toast.\nContinue your hook."]


def test_bad_fault_config_is_one_line_and_exit_2_before_the_terminal_is_touched(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "BOSUN_SIM_FAULTS": "{crash_at_step: 2}"}
    out = subprocess.run(
        [*BOSUN, "sim-agent"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.splitlines()[0].startswith("error: BOSUN_SIM_FAULTS is not JSON")
    assert out.stderr.splitlines()[1].startswith("hint: ")
    as_json = subprocess.run(
        [*BOSUN, "sim-agent", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["error"]["code"] == "bad_fault_config"
    bad = subprocess.run(
        [*BOSUN, "sim-agent", "--identity", "nobody"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert bad.returncode == 2 and "invalid identity 'nobody'" in bad.stderr
