"""Every pipeline in docs/examples runs as the docs say, in a fresh project."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from waiting import wait_for

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
FILES = sorted(p.name for p in EXAMPLES.glob("*.dot"))


def bosun(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bosun", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_examples_readme_lists_every_example() -> None:
    readme = (EXAMPLES / "README.md").read_text()
    assert FILES and all(f"[{name}]({name})" in readme for name in FILES)


@pytest.mark.parametrize("name", [n for n in FILES if n != "review-gate.dot"])
def test_an_example_validates_and_runs_to_success(project: Path, name: str) -> None:
    graph = shutil.copy(EXAMPLES / name, project / name)
    assert bosun(project, "run", "validate", str(graph)).returncode == 0
    out = bosun(project, "run", str(graph), "--run-id", "ex", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    final = json.loads((project / ".bosun" / "runs" / "ex" / "final.json").read_text())
    assert final["status"] == "success"


def test_the_review_gate_waits_for_a_person_and_follows_the_answers(project: Path) -> None:
    graph = shutil.copy(EXAMPLES / "review-gate.dot", project / "review-gate.dot")
    run = project / ".bosun" / "runs" / "rv"
    taken = run / "answers" / "review.json"
    started = bosun(project, "run", str(graph), "--detach", "--run-id", "rv")
    assert started.returncode == 0, started.stderr
    try:
        for answer in ("R", "A"):  # revise once, then approve
            wait_for(
                lambda: json.loads(bosun(project, "run", "status", "rv", "--json").stdout).get(
                    "waiting_for_human"
                ),
                timeout=60,
                what="the review gate to ask",
            )
            assert bosun(project, "run", "answer", "rv", "review", answer).returncode == 0
            wait_for(
                lambda: not taken.exists() or (run / "final.json").exists(),
                timeout=60,
                what=f"the gate to take answer {answer}",
            )
        wait_for(lambda: (run / "final.json").exists(), timeout=60, what="the run to end")
    finally:
        bosun(project, "run", "stop", "rv", "--force")
    final = json.loads((run / "final.json").read_text())
    assert final["status"] == "success", final
    done = json.loads((run / "checkpoint.json").read_text())["completed_nodes"]
    assert done == ["start", "draft", "review", "revise", "review", "publish", "exit"]
