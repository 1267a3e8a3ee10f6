"""No tool outlives its run: a kill -9'd run's orphaned tool is killed before resume touches
the worktree, and every way a run ends (fail, SIGHUP, stop --force) kills its tool groups."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_helpers import final, tool

from gitrepo import git


def bosun(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bosun", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def leftovers(marker: Path) -> list[int]:
    """Live processes whose environment mentions `marker` (the test's logs root)."""
    needle = str(marker).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            environ = (entry / "environ").read_bytes()
        except (OSError, IndexError):
            continue
        if state != "Z" and needle in environ:
            found.append(int(entry.name))
    return found


def gone(marker: Path, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while leftovers(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not leftovers(marker)


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "logs"
    yield root
    for pid in leftovers(root):  # whatever a failing test left behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def linear(b_command: str) -> str:
    return f"""digraph G {{
  start [shape=Mdiamond]
  exit [shape=Msquare]
  {tool("a", "echo a > a.txt")}
  {tool("b", b_command)}
  start -> a
  a -> b [condition="outcome=success"]
  b -> exit [condition="outcome=success"]
}}"""


def test_a_killed_and_resumed_run_commits_the_tree_of_an_uninterrupted_run(
    git_repo: Path, tmp_path: Path, logs: Path
) -> None:
    again = tmp_path / "again"
    # first attempt: start a late writer (it writes once the resumed node wrote b.txt),
    # then kill -9 the run process; the tool's own group survives the run
    late = "(while [ ! -f b.txt ]; do sleep 0.02; done; echo late > late.txt) &"
    command = (
        f"if [ -f {again} ]; then echo b > b.txt; sleep 0.5; "
        f"else {late} kill -KILL $BOSUN_RUN_PID; sleep 60; fi"
    )
    g = tmp_path / "g.dot"
    g.write_text(linear(command))
    first = bosun(
        git_repo, "run", "start", str(g), "--run-id", "r1", "--logs-root", str(logs / "r1")
    )
    assert first.returncode == -signal.SIGKILL, first.stderr
    assert leftovers(logs / "r1"), "the orphaned tool should still run after kill -9"
    again.write_text("")
    resumed = bosun(git_repo, "run", "resume", "--logs-root", str(logs / "r1"))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert final(logs / "r1")["status"] == "success"
    straight = bosun(git_repo, "run", str(g), "--run-id", "r2", "--logs-root", str(logs / "r2"))
    assert straight.returncode == 0, straight.stderr
    assert git(git_repo, "rev-parse", "bosun/run/r1^{tree}") == git(
        git_repo, "rev-parse", "bosun/run/r2^{tree}"
    )
    assert gone(logs)


def test_a_failed_run_leaves_no_background_loop_of_its_tools(
    git_repo: Path, tmp_path: Path, logs: Path
) -> None:
    g = tmp_path / "g.dot"
    g.write_text(linear(f"(while [ ! -f {tmp_path / 'go'} ]; do sleep 0.05; done) & exit 1"))
    result = bosun(git_repo, "run", str(g), "--run-id", "r1", "--logs-root", str(logs / "r1"))
    assert result.returncode != 0
    assert final(logs / "r1")["status"] == "fail"
    assert gone(logs, timeout=1.0)


def test_sighup_of_a_foreground_run_kills_its_tool_group(
    git_repo: Path, tmp_path: Path, logs: Path
) -> None:
    g = tmp_path / "g.dot"
    g.write_text(linear("touch started; sleep 60"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bosun",
            "run",
            str(g),
            "--run-id",
            "r1",
            "--logs-root",
            str(logs / "r1"),
        ],
        cwd=git_repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (logs / "r1" / "worktree" / "started").exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=30) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert final(logs / "r1")["status"] == "canceled"
    assert final(logs / "r1")["failure_reason"] == "canceled by SIGHUP"
    assert gone(logs, timeout=1.0)


def test_stop_force_kills_the_tool_group_of_a_detached_run(
    git_repo: Path, tmp_path: Path, logs: Path
) -> None:
    g = tmp_path / "g.dot"
    g.write_text(linear("trap '' TERM; touch started; sleep 60"))
    started = bosun(
        git_repo,
        "run",
        "start",
        str(g),
        "--detach",
        "--run-id",
        "r1",
        "--logs-root",
        str(logs / "r1"),
    )
    assert started.returncode == 0, started.stderr
    deadline = time.monotonic() + 60
    while not (logs / "r1" / "worktree" / "started").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    stopped = bosun(
        git_repo, "run", "stop", "r1", "--logs-root", str(logs / "r1"), "--grace", "0.2", "--force"
    )
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert gone(logs)


def killed_run_with_a_tool(git_repo: Path, tmp_path: Path, base: Path) -> Path:
    """A run kill -9'd by its own tool, whose group (a background writer) lives on."""
    writer = "(while true; do date >> ticks.txt; sleep 0.05; done) &"
    g = tmp_path / "g.dot"
    g.write_text(linear(f"{writer} kill -KILL $BOSUN_RUN_PID; sleep 60"))
    first = bosun(git_repo, "run", "start", str(g), "--run-id", "r1", "--logs-root", str(base))
    assert first.returncode == -signal.SIGKILL, first.stderr
    assert leftovers(base), "the orphaned tool should still run after kill -9"
    return base


def test_run_list_kills_the_tool_groups_a_killed_run_left(
    git_repo: Path, tmp_path: Path, logs: Path
) -> None:
    base = git_repo / ".bosun" / "runs" / "r1"  # where `run list` looks
    try:
        killed_run_with_a_tool(git_repo, tmp_path, base)
        listed = bosun(git_repo, "run", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert gone(base, timeout=1.0)
    finally:
        for pid in leftovers(base):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert not list((base / "tool_groups").iterdir())
    assert "orphan_tools_killed" in (base / "progress.ndjson").read_text()


def test_run_stop_of_a_killed_run_kills_its_tool_groups_and_ends_it(
    git_repo: Path, tmp_path: Path, logs: Path
) -> None:
    base = killed_run_with_a_tool(git_repo, tmp_path, logs / "r1")
    stopped = bosun(git_repo, "run", "stop", "r1", "--logs-root", str(base))
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert gone(logs, timeout=1.0)
    assert final(base)["status"] == "canceled"
    assert "its process was gone" in final(base)["failure_reason"]


def test_a_killed_runs_headless_agent_cli_is_killed_by_the_next_run_list(
    project: Path, tmp_path: Path
) -> None:
    """A headless agent CLI runs in its own group like a tool, recorded before it starts."""
    runtimes = project / ".bosun" / "runtimes"
    runtimes.mkdir(parents=True, exist_ok=True)
    writer = "(while true; do date >> ticks.txt; sleep 0.05; done) &"
    cli = f"{writer} kill -KILL $BOSUN_RUN_PID; sleep 60"
    (runtimes / "loner.toml").write_text(
        'description = "a headless CLI that outlives its run"\n'
        'argv = ["/bin/sh"]\n'
        f"headless_argv = {json.dumps(['/bin/sh', '-c', cli, 'sh'])}\n"
    )
    g = tmp_path / "g.dot"
    g.write_text(
        "digraph G {\n  start [shape=Mdiamond]\n  exit [shape=Msquare]\n"
        '  think [shape=box, mode="headless", runtime="loner", prompt="go"]\n'
        "  start -> think -> exit\n}\n"
    )
    base = project / ".bosun" / "runs" / "r1"
    env = {**os.environ}
    env.pop("BOSUN_HOME", None)
    try:
        first = subprocess.run(
            [sys.executable, "-m", "bosun", "run", "start", str(g), "--run-id", "r1"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert first.returncode == -signal.SIGKILL, first.stdout + first.stderr
        assert leftovers(base), "the headless CLI should still run after kill -9"
        listed = bosun(project, "run", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert gone(base, timeout=1.0)
    finally:
        for pid in leftovers(base):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
