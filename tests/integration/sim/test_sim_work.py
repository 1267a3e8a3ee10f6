"""The sim agent working its hook in real tmux against the real bosun CLI and a real repo."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from simpane import StartSim, bosun, pin_task

from waiting import wait_for


def env_for(project: Path, **extra: str) -> dict[str, str]:
    return {"BOSUN_IDENTITY": "polecat/toast", "BOSUN_HOME": str(project), **extra}


def test_a_task_script_commits_signals_and_reports_context(
    sim: StartSim,
    project: Path,
) -> None:
    work_id = pin_task(
        project,
        {
            "steps": [
                {"phase": "executing"},
                {"write": {"path": "hello.txt", "content": "hello\n"}},
                {"commit": "add hello"},
                {"work": 1.5},
                {"say": "ready on {branch}"},
                {"signal": "MERGE_READY", "to": "refinery/main", "payload": {"branch": "{branch}"}},
            ]
        },
    )
    pane = sim(project, env_for(project))
    first = pane.wait_shows("● identity: polecat/toast")
    assert f'● work: {work_id} "Sim task"' in pane.wait_shows("● phase: ")
    wait_for(
        lambda: (
            pane.bottom().startswith("✻ Working… (")
            and pane.bottom().endswith("· esc to interrupt)")
        ),
        what="the busy line",
    )
    assert "sim>" in first or pane.shows("sim>")
    pane.wait_shows(f"● Done: all 6 steps of {work_id} completed.")
    pane.wait_idle()
    assert "● ready on main" in pane.screen()

    subjects = subprocess.run(
        ["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert subjects[0] == "add hello"
    assert (project / "hello.txt").read_text() == "hello\n"

    signals = json.loads(bosun(project, "signal", "list", "--json"))
    assert [(s["type"], s["to"], s["from"], s["payload"]) for s in signals] == [
        ("MERGE_READY", "refinery/main", "polecat/toast", {"branch": "main"})
    ]
    hook = json.loads(bosun(project, "hook", "show", "polecat", "toast", "--json"))
    assert hook["phase"] == "executing"
    assert hook["checkpoint_note"].startswith("sim:step=6/6 ")

    context = json.loads((project / ".bosun/state/context/polecat-toast.json").read_text())
    assert set(context) == {
        "total_input_tokens",
        "total_output_tokens",
        "context_window_size",
        "used_percentage",
        "remaining_percentage",
        "current_usage",
    }
    assert 6 < context["used_percentage"] < 90
    assert context["used_percentage"] + context["remaining_percentage"] == 100
    transcript = pane.transcript.read_text()
    assert "● step 3/6: commit add hello" in transcript


def test_a_crash_exits_nonzero_and_the_next_incarnation_skips_completed_steps(
    sim: StartSim,
    project: Path,
) -> None:
    work_id = pin_task(
        project,
        {
            "steps": [
                {"run": "echo once >> steps.log"},
                {"commit": "first part"},
                {"say": "second part"},
            ],
            "faults": {"crash_at_step": 2, "once": True},
        },
    )
    pane = sim(project, env_for(project))
    assert pane.wait_exit() == 3
    assert "simulated crash before step 2/3 (exit 3)" in pane.screen()
    hook = json.loads(bosun(project, "hook", "show", "polecat", "toast", "--json"))
    assert hook["checkpoint_note"].startswith("sim:step=1/3 ")

    pane.respawn()
    pane.wait_shows(f"● Done: all 3 steps of {work_id} completed.")
    screen = pane.screen()
    assert "● skipping 1 completed step" in screen
    assert "● step 1/3" not in screen
    assert (project / "steps.log").read_text() == "once\n"  # step 1 ran exactly once
    assert pane.dead_status() is None


def test_a_nudge_resumes_unfinished_work_after_a_denied_permission(
    sim: StartSim,
    project: Path,
) -> None:
    work_id = pin_task(
        project,
        {
            "steps": [
                {"say": "asking"},
                {"permission": "push the branch"},
                {"say": "pushed"},
            ]
        },
    )
    pane = sim(project, env_for(project))
    pane.wait_shows("Allow this action? [y/n]")
    assert pane.bottom() == "Allow this action? [y/n]"
    pane.keys("n")
    pane.wait_shows("Permission denied")
    pane.wait_idle()
    pane.paste("Run `bosun prime` and continue your hook")
    wait_for(lambda: pane.bottom().endswith("continue your hook"), what="the nudge")
    pane.keys("Enter")
    pane.wait_shows(f"● Resuming {work_id} at step 2/3.")
    pane.wait_shows("Allow this action? [y/n]")
    pane.keys("y")
    pane.wait_shows(f"● Done: all 3 steps of {work_id} completed.")
    assert [p["n"] for p in pane.prompts()] == [1]


def test_exhausted_context_is_reported_in_the_file_and_progress_stops(
    sim: StartSim,
    project: Path,
    tmp_path: Path,
) -> None:
    context_file = tmp_path / "ctx" / "toast.json"
    pin_task(
        project,
        {"steps": [{"say": "one"}, {"say": "two"}], "faults": {"exhaust_context_at_step": 2}},
    )
    pane = sim(project, env_for(project, BOSUN_CONTEXT_FILE=str(context_file)))
    pane.wait_shows("⚠ Context low")
    wait_for(
        lambda: (
            context_file.exists() and json.loads(context_file.read_text())["used_percentage"] > 90
        ),
        what="usage past 90 %",
    )
    pane.wait_idle()
    assert "● two" not in pane.screen()
