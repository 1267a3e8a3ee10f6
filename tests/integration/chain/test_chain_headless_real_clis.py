"""A pipeline whose agent nodes run headless on the real CLIs against the model server.

One Claude Code node, one Codex node and one Gemini CLI node, each chosen by its
llm_provider and given its llm_model, run in the CLI's print mode (`mode="headless"` on the
graph) through `bosun run start`; each writes a file with its own shell tool, and a tool
node checks the files. A missing CLI skips, except under CI=true, where it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bosun.runtime.modelserver import ModelServer, parse_script
from bosun.runtime.modelserver.clients import clean_env, find_cli, prepare_client

NODES = {  # node id -> (tool, llm_provider, llm_model)
    "plan": ("claude", "anthropic", "claude-sonnet-4-5"),
    "build": ("codex", "openai", "gpt-5"),
    "review": ("gemini", "google", "gemini-2.5-flash"),
}
SCRIPT = """
[[turn]]
text = "I will leave proof of this step."
shell = "echo \\"$BOSUN_NODE_ID\\" > \\"proof-$BOSUN_NODE_ID.txt\\""

[[turn]]
text = "Step done."
"""


def _binaries() -> dict[str, str]:
    found = {tool: find_cli(tool) for tool, _, _ in NODES.values()}
    missing = sorted(t for t, b in found.items() if b is None)
    if missing:
        message = f"{', '.join(missing)} not installed (run scripts/install-agent-clis.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; required under CI=true")
        pytest.skip(message)
    return {t: b for t, b in found.items() if b is not None}


def _graph() -> str:
    lines = [
        "digraph headless {",
        '  goal="each CLI leaves proof of its step"',
        '  mode="headless"',
        "  start [shape=Mdiamond]",
        "  done [shape=Msquare]",
    ]
    for node, (_, provider, model) in NODES.items():
        lines.append(
            f'  {node} [shape=box, llm_provider="{provider}", llm_model="{model}", '
            f'timeout="180s", prompt="Leave proof of step {node} for $goal."]'
        )
    checks = " && ".join(f"grep -qx {n} proof-{n}.txt" for n in NODES)
    lines.append(f'  check [shape=parallelogram, tool_command="{checks}"]')
    chain = ["start", *NODES, "check", "done"]
    for source, target in zip(chain, chain[1:], strict=False):
        condition = ' [condition="outcome=success"]' if source != "start" else ""
        lines.append(f"  {source} -> {target}{condition}")
    return "\n".join(lines) + "\n}\n"


@pytest.mark.slow
def test_headless_nodes_on_three_real_clis_run_to_success(project: Path, tmp_path: Path) -> None:
    binaries = _binaries()
    home = tmp_path / "home"
    (project / "headless.dot").write_text(_graph())
    with ModelServer(parse_script(SCRIPT)) as server:
        env = clean_env(home, list(binaries.values())) | {"PYTHONUNBUFFERED": "1"}
        for tool in binaries:
            env |= prepare_client(tool, server.url, home)
        done = subprocess.run(
            [sys.executable, "-m", "bosun", "run", "start", "headless.dot", "--run-id", "h1"],
            cwd=project,
            env={**env, "GIT_CONFIG_GLOBAL": os.environ.get("GIT_CONFIG_GLOBAL", "/dev/null")},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        requests = list(server.requests)
    base = project / ".bosun" / "runs" / "h1"
    final = json.loads((base / "final.json").read_text())
    detail = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}\n{json.dumps(final)[:2000]}"
    assert done.returncode == 0, detail
    assert final["status"] == "success", detail

    # each node ran its CLI with its model, and the CLI's own session id was recorded
    models = {r["model"] for r in requests if r.get("turn")}
    assert models == {model for _, _, model in NODES.values()}, requests
    for node, (tool, _, model) in NODES.items():
        record = json.loads((base / node / "headless.json").read_text())
        assert (record["preset"], record["model"], record["outcome"]) == (tool, model, "success")
        assert record["session_id"], record
        assert record["exit_code"] == 0 and record["status"] == "success", record
        assert record["usage"].get("input_tokens", 0) > 0 or tool == "gemini", record
        assert (base / node / "response.md").read_text().strip() == "Step done."


DROP_ONCE = """
[[turn]]
text = "I will leave proof of this step."
shell = "echo \\"$BOSUN_NODE_ID\\" > \\"proof-$BOSUN_NODE_ID.txt\\""

[[turn]]
fault = "drop"
text = "Step done."
"""


@pytest.mark.slow
def test_a_dropped_stream_fails_transient_and_the_retry_resumes_the_session(
    project: Path, tmp_path: Path
) -> None:
    """Gemini CLI gives up on a stream dropped in its second turn (exit 1): the node fails
    `transient_infra`, and its retry resumes the recorded session, which finishes the step."""
    binary = _binaries()["gemini"]
    home = tmp_path / "home"
    (project / "drop.dot").write_text(
        "digraph drop {\n  start [shape=Mdiamond]\n  done [shape=Msquare]\n"
        '  review [shape=box, mode="headless", llm_provider="google", '
        'llm_model="gemini-2.5-flash", max_retries=1, timeout="180s", prompt="Leave proof."]\n'
        '  start -> review\n  review -> done [condition="outcome=success"]\n}\n'
    )
    with ModelServer(parse_script(DROP_ONCE)) as server:
        env = clean_env(home, [binary]) | prepare_client("gemini", server.url, home)
        done = subprocess.run(
            [sys.executable, "-m", "bosun", "run", "start", "drop.dot", "--run-id", "d1"],
            cwd=project,
            env={**env, "PYTHONUNBUFFERED": "1"},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    base = project / ".bosun" / "runs" / "d1"
    first = json.loads((base / "review" / "headless.attempt-1.json").read_text())
    second = json.loads((base / "review" / "headless.json").read_text())
    detail = f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}\n{first}\n{second}"
    assert (first["outcome"], first["failure_class"]) == ("fail", "transient_infra"), detail
    assert "terminated" in first["failure_reason"], detail
    assert second["resumed"] == first["session_id"] != "", detail
    assert (second["attempt"], second["outcome"]) == (2, "success"), detail
    assert json.loads((base / "final.json").read_text())["status"] == "success", detail
    assert "resume_failed" not in second, detail
