"""Git mode: run branch, worktree, one commit per node, cleanup, parallel branches,
prune, and resume (after a real SIGTERM) equal to an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from pipeline_helpers import final, options, tool

from bosun.pipeline.launch import start_run
from bosun.pipeline.runs import prune_runs
from gitrepo import git

LINEAR = f"""digraph G {{
  start [shape=Mdiamond]
  exit [shape=Msquare]
  {tool("a", "echo a > a.txt")}
  {tool("b", "echo b > b.txt")}
  start -> a
  a -> b [condition="outcome=success"]
  b -> exit [condition="outcome=success"]
}}"""


def start(repo: Path, tmp_path: Path, text: str, run_id: str, **kw: object):  # type: ignore[no-untyped-def]
    g = tmp_path / f"{run_id}.dot"
    g.write_text(text)
    opts = options(tmp_path, workspace=repo, **kw)
    opts.use_git = True
    return start_run(g, opts, run_id), opts.runs_dir / run_id


def test_a_run_gets_a_branch_a_commit_per_node_and_its_worktree_removed(
    git_repo: Path, tmp_path: Path
) -> None:
    record, base = start(git_repo, tmp_path, LINEAR, "r1")
    assert record.status.value == "success"
    log = git(git_repo, "log", "--format=%s", "bosun/run/r1").splitlines()
    assert log[:4] == [
        "bosun(r1): exit (success)",
        "bosun(r1): b (success)",
        "bosun(r1): a (success)",
        "bosun(r1): start (success)",
    ]
    assert git(git_repo, "show", "bosun/run/r1:a.txt") == "a"
    assert record.final_commit == git(git_repo, "rev-parse", "bosun/run/r1")
    assert not (base / "worktree").exists()
    assert str(base / "worktree") not in git(git_repo, "worktree", "list")
    assert not (git_repo / "a.txt").exists()  # the user's checkout is untouched


def test_keep_worktree_keeps_it_and_prune_removes_it_later(git_repo: Path, tmp_path: Path) -> None:
    _, base = start(git_repo, tmp_path, LINEAR, "r1", keep_worktree=True)
    assert (base / "worktree" / "b.txt").exists()
    _, dirty = start(git_repo, tmp_path, LINEAR, "r2", keep_worktree=True)
    (dirty / "worktree" / "unsaved.txt").write_text("work in progress")
    report = {r["run_id"]: r for r in prune_runs(tmp_path / "runs")}
    assert report["r1"]["removed"] is True and not (base / "worktree").exists()
    assert report["r2"]["removed"] is False and (dirty / "worktree" / "unsaved.txt").exists()


def test_parallel_branches_use_the_configured_prefix_and_the_winner_is_merged(
    git_repo: Path, tmp_path: Path
) -> None:
    text = f"""digraph G {{
      start [shape=Mdiamond]; exit [shape=Msquare]
      fan [shape=component]; join [shape=tripleoctagon]
      {tool("b1", "echo one > one.txt")}
      {tool("b2", "echo two > two.txt")}
      start -> fan; fan -> b1; fan -> b2; b1 -> join; b2 -> join
      join -> exit [condition="outcome=success"]
    }}"""
    record, _ = start(git_repo, tmp_path, text, "r1")
    assert record.status.value == "success"
    branches = git(git_repo, "branch", "--format=%(refname:short)").splitlines()
    assert "bosun/run/parallel/r1/fan/b1" in branches
    assert "bosun/run/parallel/r1/fan/b2" in branches
    assert not any(b.startswith("/") for b in branches)
    assert git(git_repo, "show", "bosun/run/r1:one.txt") == "one"


def bosun(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bosun", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_resume_after_sigterm_equals_an_uninterrupted_run(git_repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "go-on"
    interrupt = (
        f"if [ -f {marker} ]; then echo b > b.txt; else kill -TERM $BOSUN_RUN_PID; sleep 60; fi"
    )
    text = LINEAR.replace(tool("b", "echo b > b.txt"), tool("b", interrupt))
    g = tmp_path / "g.dot"
    g.write_text(text)
    logs = tmp_path / "logs"
    first = bosun(
        git_repo, "run", "start", str(g), "--run-id", "r1", "--logs-root", str(logs / "r1")
    )
    assert first.returncode == 1, first.stderr
    assert final(logs / "r1")["status"] == "canceled"
    ckpt = json.loads((logs / "r1" / "checkpoint.json").read_text())
    assert ckpt["completed_nodes"] == ["start", "a"] and ckpt["next_node"] == "b"
    marker.write_text("")
    resumed = bosun(git_repo, "run", "resume", "--logs-root", str(logs / "r1"))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert final(logs / "r1")["status"] == "success"
    straight = bosun(git_repo, "run", str(g), "--run-id", "r2", "--logs-root", str(logs / "r2"))
    assert straight.returncode == 0, straight.stderr
    one = json.loads((logs / "r1" / "checkpoint.json").read_text())
    two = json.loads((logs / "r2" / "checkpoint.json").read_text())
    assert one["completed_nodes"] == two["completed_nodes"] == ["start", "a", "b", "exit"]
    volatile = {"run_id", "base_sha"}
    assert {k: v for k, v in one["context"].items() if k not in volatile} == {
        k: v for k, v in two["context"].items() if k not in volatile
    }
    assert git(git_repo, "rev-parse", "bosun/run/r1^{tree}") == git(
        git_repo, "rev-parse", "bosun/run/r2^{tree}"
    )
    assert not (logs / "r1" / "worktree").exists()
    assert (logs / "r1" / "final.previous.json").exists()


def test_a_resumed_run_keeps_the_branch_prefix_it_started_with(
    project: Path, tmp_path: Path
) -> None:
    """The prefix is recorded in the run: changing the setting between a kill -9 and the
    resume does not move the parallel branches (nor the run branch) to the new prefix."""
    marker = tmp_path / "go-on"
    first_try = f"if [ -f {marker} ]; then echo a > a.txt; else kill -KILL $BOSUN_RUN_PID; fi"
    text = f"""digraph G {{
      start [shape=Mdiamond]; exit [shape=Msquare]
      fan [shape=component]; join [shape=tripleoctagon]
      {tool("a", first_try)}
      {tool("b1", "echo one > one.txt")}
      {tool("b2", "echo two > two.txt")}
      start -> a; a -> fan [condition="outcome=success"]
      fan -> b1; fan -> b2; b1 -> join; b2 -> join
      join -> exit [condition="outcome=success"]
    }}"""
    g = tmp_path / "g.dot"
    g.write_text(text)
    logs = tmp_path / "logs"

    def run(*args: str, prefix: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "BOSUN_PIPELINE_RUN_BRANCH_PREFIX": prefix}
        env.pop("BOSUN_HOME", None)
        return subprocess.run(
            [sys.executable, "-m", "bosun", *args],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    first = run("run", "start", str(g), "--run-id", "r1", "--logs-root", str(logs), prefix="old")
    assert first.returncode == -signal.SIGKILL, first.stdout + first.stderr
    marker.write_text("")
    resumed = run("run", "resume", "--logs-root", str(logs), prefix="renamed")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    branches = git(project, "branch", "--format=%(refname:short)").splitlines()
    assert "old/r1" in branches
    assert {"old/parallel/r1/fan/b1", "old/parallel/r1/fan/b2"} <= set(branches)
    assert not [b for b in branches if b.startswith("renamed")], branches
    assert json.loads((logs / "manifest.json").read_text())["run_branch_prefix"] == "old"


def test_a_run_started_before_the_prefix_was_recorded_resumes_with_its_branch_prefix(
    tmp_path: Path,
) -> None:
    from bosun.pipeline.launch import recorded_branch_prefix
    from bosun.pipeline.rundir import RunDir

    base = RunDir(tmp_path, "r1")
    (tmp_path / "git.json").write_text(json.dumps({"branch": "team/runs/r1"}))
    assert recorded_branch_prefix(base, {}) == "team/runs"
    assert recorded_branch_prefix(base, {"run_branch_prefix": "kept"}) == "kept"
    (tmp_path / "git.json").write_text("{half")
    assert recorded_branch_prefix(base, {}) == ""
