"""The published tool-only pipelines of tests/pipeline_corpus run unchanged with `bosun run`
to a terminal state with final.json, on the path their source takes; and `bosun run
validate` gives each corpus file the verdict its source gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "pipeline_corpus"
TOOL_OUTPUT = Path("/tmp/kilroy-tool-test-output.txt")  # written by Kilroy's tool-only demo

# file → (final status, path through the graph)
TOOL_ONLY = {
    "kilroy/demo/tool-only/graph.dot": ("success", ["start", "step1", "step2", "done"]),
    # its scripts live in Kilroy's workflow package, absent here: every tool fails, the
    # conditional relays the failure, and report_build_fail's failure has no edge (§3.2)
    "kilroy/workflows/build-test/graph.dot": (
        "fail",
        ["start", "detect", "build", "check_build", "report_build_fail"],
    ),
}


def bosun(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bosun", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("name", sorted(TOOL_ONLY))
def test_a_tool_only_published_pipeline_runs_to_a_terminal_state(tmp_path: Path, name: str) -> None:
    existed = TOOL_OUTPUT.exists()
    logs = tmp_path / "run"
    try:
        done = bosun(tmp_path, "run", "start", str(CORPUS / name), "--logs-root", str(logs))
    finally:
        if not existed:
            TOOL_OUTPUT.unlink(missing_ok=True)
    status, path = TOOL_ONLY[name]
    final = json.loads((logs / "final.json").read_text())
    assert final["status"] == status, done.stdout + done.stderr
    assert done.returncode == (0 if status == "success" else 1)
    checkpoint = json.loads((logs / "checkpoint.json").read_text())
    assert checkpoint["completed_nodes"] == path


def test_bosun_run_validate_gives_the_spec_examples_the_spec_verdict(tmp_path: Path) -> None:
    for name in ("2.13-simple.dot", "2.13-branch.dot", "2.13-human-gate.dot", "8.6-stylesheet.dot"):
        done = bosun(tmp_path, "run", "validate", str(CORPUS / "strongdm-spec" / name), "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["errors"] == 0
    refused = bosun(
        tmp_path,
        "run",
        "validate",
        str(CORPUS / "attractor-pi-dev/examples/ralph-wiggum/pipeline.dot"),
    )
    assert refused.returncode == 2 and "condition_syntax" in refused.stdout


def test_catalog_update_then_a_new_model_passes_strict_preflight(project: Path) -> None:
    source = project.parent / "litellm.json"
    source.write_text(json.dumps({"gpt-7": {"litellm_provider": "openai", "mode": "chat"}}))
    graph = project.parent / "g.dot"
    graph.write_text(
        "digraph { start [shape=Mdiamond]; exit [shape=Msquare]\n"
        ' a [prompt="x", llm_model="gpt-7"]\n start -> a -> exit }\n'
    )
    before = bosun(project, "run", "start", str(graph), "--preflight", "--strict-models")
    assert before.returncode == 1 and "gpt-7 not present in the catalog" in before.stdout
    warned = bosun(project, "run", "start", str(graph), "--preflight")
    assert warned.returncode == 0 and "warn model_in_catalog" in warned.stdout
    updated = bosun(project, "run", "catalog", "update", "--from", str(source), "--json")
    assert updated.returncode == 0, updated.stderr
    assert json.loads(updated.stdout)["catalog"].endswith(".bosun/model_catalog.json")
    after = bosun(project, "run", "start", str(graph), "--preflight", "--strict-models")
    assert after.returncode == 0, after.stdout + after.stderr
