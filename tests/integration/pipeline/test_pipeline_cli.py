"""The `bosun run` CLI as a user runs it: validate, detached runs that survive their
launcher and are visible while they run, status, list, stop, answer."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_helpers import tool

from waiting import wait_for


@pytest.fixture
def pids() -> Iterator[list[int]]:
    """Process groups to kill at the end, even when the test fails."""
    found: list[int] = []
    yield found
    for pid in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def bosun(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bosun", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def waiting_graph(path: Path, go: Path) -> Path:
    path.write_text(f"""digraph G {{
      start [shape=Mdiamond]; exit [shape=Msquare]
      {tool("wait", f"while [ ! -f {go} ]; do sleep 0.05; done")}
      start -> wait
      wait -> exit [condition="outcome=success"]
    }}""")
    return path


def kv(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_validate_prints_diagnostics_and_exits_2_on_errors(tmp_path: Path) -> None:
    g = tmp_path / "g.dot"
    g.write_text(
        'digraph { start [shape=Mdiamond]; t [shape=parallelogram, tool_command=""]; start -> t }'
    )
    out = bosun(tmp_path, "run", "validate", str(g), "--json")
    assert out.returncode == 2
    data = json.loads(out.stdout)
    assert {d["rule"] for d in data["diagnostics"]} >= {"terminal_node", "tool_command_required"}
    g.write_text("digraph {\n  a -> ;\n}")
    bad = bosun(tmp_path, "run", "validate", str(g))
    assert bad.returncode == 2 and f"{g}:2:8:" in bad.stderr


def test_a_detached_run_survives_its_launcher_and_is_visible_while_it_runs(
    project: Path, tmp_path: Path, pids: list[int]
) -> None:
    go = tmp_path / "go"
    g = waiting_graph(tmp_path / "g.dot", go)
    launched = bosun(project, "run", str(g), "--detach", "--run-id", "d1")
    assert launched.returncode == 0, launched.stderr
    info = kv(launched.stdout)
    assert info["run_id"] == "d1"
    assert info["logs_root"] == str(project / ".bosun" / "runs" / "d1")
    pid = int(Path(info["pid_file"]).read_text())
    pids.append(pid)
    assert os.getsid(pid) == pid  # its own session: the launcher's terminal can go
    listed = json.loads(bosun(project, "run", "list", "--json").stdout)
    assert [r["run_id"] for r in listed] == ["d1"]
    assert listed[0]["status"] in ("starting", "running")
    wait_for(
        lambda: (
            json.loads(bosun(project, "run", "status", "d1", "--json").stdout)["current_node"]
            == "start"
        ),
        timeout=60,
        what="the run to start",
    )
    status = json.loads(bosun(project, "run", "status", "d1", "--json").stdout)
    assert status["status"] == "running" and status["pid"] == pid
    go.write_text("")
    base = Path(info["logs_root"])
    wait_for(lambda: (base / "final.json").exists(), timeout=60, what="final.json")
    assert json.loads((base / "final.json").read_text())["status"] == "success"
    assert (base / "run.out").exists()
    done = json.loads(bosun(project, "run", "list", "--json").stdout)
    assert done[0]["status"] == "success"


def test_stop_ends_a_running_run_with_a_canceled_final(
    project: Path, tmp_path: Path, pids: list[int]
) -> None:
    g = waiting_graph(tmp_path / "g.dot", tmp_path / "never")
    info = kv(bosun(project, "run", "start", str(g), "--detach", "--run-id", "d2").stdout)
    pids.append(int(Path(info["pid_file"]).read_text()))
    base = Path(info["logs_root"])
    wait_for(lambda: (base / "wait" / "tool_invocation.json").exists(), timeout=60)
    stopped = bosun(project, "run", "stop", "d2", "--grace", "30")
    assert stopped.returncode == 0, stopped.stderr
    data = json.loads((base / "final.json").read_text())
    assert data["status"] == "canceled"
    assert data["failure_reason"] == "canceled by SIGTERM"


def test_stop_refuses_a_pid_that_is_not_a_bosun_run(project: Path, pids: list[int]) -> None:
    sleeper = subprocess.Popen(["sleep", "60"], start_new_session=True)
    pids.append(sleeper.pid)
    base = project / ".bosun" / "runs" / "fake"
    base.mkdir(parents=True)
    (base / "manifest.json").write_text(json.dumps({"run_id": "fake"}))
    (base / "run.pid").write_text(str(sleeper.pid))
    out = bosun(project, "run", "stop", "fake", "--force", "--grace", "0")
    assert out.returncode == 2
    assert "is not a bosun run" in out.stderr
    assert sleeper.poll() is None
    sleeper.kill()
    sleeper.wait()


def test_answer_queues_a_choice_for_a_human_gate(project: Path, tmp_path: Path) -> None:
    g = tmp_path / "g.dot"
    g.write_text(f"""digraph G {{
      start [shape=Mdiamond]; exit [shape=Msquare]
      ask [shape=hexagon]
      {tool("yes", "true")}
      {tool("no", "true")}
      start -> ask; ask -> yes [label="Yes"]; ask -> no [label="No"]
      yes -> exit [condition="outcome=success"]; no -> exit [condition="outcome=success"]
    }}""")
    base = project / ".bosun" / "runs" / "h1"
    base.mkdir(parents=True)
    (base / "manifest.json").write_text(json.dumps({"run_id": "h1"}))
    assert bosun(project, "run", "answer", "h1", "ask", "No").returncode == 0
    (base / "manifest.json").unlink()
    out = bosun(project, "run", str(g), "--run-id", "h1", "--json")
    assert out.returncode == 0, out.stderr
    ckpt = json.loads((base / "checkpoint.json").read_text())
    assert ckpt["completed_nodes"] == ["start", "ask", "no", "exit"]


def test_bad_input_from_the_cli(project: Path, tmp_path: Path) -> None:
    g = waiting_graph(tmp_path / "g.dot", tmp_path / "go")
    bad_id = bosun(project, "run", str(g), "--run-id", "../escape")
    assert bad_id.returncode == 2 and "invalid run id" in bad_id.stderr
    not_run = bosun(project, "run", "resume", "--logs-root", str(tmp_path))
    assert not_run.returncode == 2 and "not a run directory" in not_run.stderr
    assert not (tmp_path / "final.json").exists()
    missing = bosun(project, "run", "status", "nope")
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("digraph {\n  a -> ;\n}", ":2:8:"),  # does not parse
        ("digraph { a [shape=box]; b [shape=box]; a -> b }", "[start_node]"),  # does not validate
    ],
)
def test_a_detached_start_refuses_a_bad_graph_with_exit_2_and_creates_nothing(
    project: Path, text: str, says: str
) -> None:
    g = project / "bad.dot"
    g.write_text(text)
    out = bosun(project, "run", "start", str(g), "--detach", "--run-id", "bad1")
    assert out.returncode == 2, out.stdout + out.stderr
    assert says in out.stderr and out.stderr.count("error:") == 1
    assert not (project / ".bosun" / "runs" / "bad1").exists()
    listed = json.loads(bosun(project, "run", "list", "--json").stdout)
    assert "bad1" not in json.dumps(listed)


def test_a_foreground_run_shows_each_stage_as_it_ends_and_json_stays_clean(
    project: Path, tmp_path: Path
) -> None:
    g = tmp_path / "g.dot"
    g.write_text(f"""digraph G {{
      start [shape=Mdiamond]; exit [shape=Msquare]
      {tool("build", "true")}
      {tool("check", "test -f missing")}
      start -> build -> check
      check -> exit [condition="outcome=success"]
      check -> exit [condition="outcome!=success"]
    }}""")
    out = bosun(project, "run", str(g), "--run-id", "p1")
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert [line.split()[1] for line in lines] == ["start", "build", "check", "exit"], out.stderr
    assert lines[1].startswith("✓ build success in ")
    assert lines[2].startswith("✗ check fail in ") and "exited with status 1" in lines[2]
    assert "\x1b" not in out.stderr  # not a terminal: no colour codes
    quiet = bosun(project, "run", str(g), "--run-id", "p2", "--json")
    assert quiet.stderr == "" and json.loads(quiet.stdout)["run_id"] == "p2"
