"""Every exit path of a run ends in a recorded terminal state: a graph nested too deeply, a
half-written git.json on resume, a full disk during a node, and a launcher killed before it
started the run process (its `starting` row is stoppable and shown dead)."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pipeline_helpers import final, graph, options, run, tool

from bosun.base.config import default_config
from bosun.base.errors import BosunError
from bosun.core.context import Context
from bosun.pipeline.launch import resume_run, start_run
from bosun.pipeline.recorder import register_run
from bosun.pipeline.rundir import RunDir, prepare_logs_root
from bosun.pipeline.runs import list_runs, run_status, stop_run
from bosun.store.sqlite import SqliteStore


def test_a_graph_nested_too_deeply_is_refused_with_a_final_json(tmp_path: Path) -> None:
    depth = 5000
    body = "subgraph { " * depth + "a" + " }" * depth
    g = tmp_path / "deep.dot"
    g.write_text(f"digraph G {{ start [shape=Mdiamond]; exit [shape=Msquare]; {body} }}")
    with pytest.raises(BosunError, match="nest"):
        start_run(g, options(tmp_path), "r1")
    data = final(tmp_path / "runs" / "r1")
    assert data["status"] == "fail" and "nest" in data["failure_reason"]


def test_a_half_written_git_json_fails_the_resume_with_a_final_json(
    git_repo: Path, tmp_path: Path
) -> None:
    text = graph(tool("a", "exit 1"), "start -> a", 'a -> exit [condition="outcome=success"]')
    g = tmp_path / "g.dot"
    g.write_text(text)
    opts = options(tmp_path, workspace=git_repo, keep_worktree=True)
    opts.use_git = True
    start_run(g, opts, "r1")
    base = tmp_path / "runs" / "r1"
    (base / "git.json").write_text('{"repo": "/tm')
    with pytest.raises(BosunError, match="git.json"):
        resume_run(base, opts)
    data = final(base)
    assert data["status"] == "fail" and "git.json" in data["failure_reason"]


def test_a_full_disk_during_a_node_still_ends_in_final_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_checkpoint = RunDir.write_checkpoint
    calls: list[int] = []

    def write_checkpoint(self: RunDir, data: dict[str, Any]) -> None:
        calls.append(1)
        if len(calls) > 2:  # the disk fills up during the run
            raise OSError(errno.ENOSPC, "No space left on device", str(self.checkpoint))
        real_checkpoint(self, data)

    real_write_text = Path.write_text

    def write_text(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
        if self.name == "engine_error.txt":  # still full when the engine reports the error
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(RunDir, "write_checkpoint", write_checkpoint)
    monkeypatch.setattr(Path, "write_text", write_text)
    text = graph(tool("a", "true"), "start -> a", 'a -> exit [condition="outcome=success"]')
    record, base = run(tmp_path, text)
    assert record.status.value == "fail"
    assert "No space left on device" in record.failure_reason
    assert final(base)["status"] == "fail"


def test_a_run_whose_launcher_died_before_the_run_process_can_be_stopped(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "bosun.db")
    try:
        ctx = Context(store=store, config=default_config())
        runs = tmp_path / "runs"
        root = prepare_logs_root(runs / "r1")  # what launch_detached does before Popen …
        register_run(ctx, "r1", str(tmp_path / "g.dot"), str(root), "starting", None, True)
        # … and then the launcher is killed
        [listed] = list_runs(runs, ctx)
        assert listed["status"] == "dead"
        assert run_status(root, registered=True)["status"] == "dead"
        result = stop_run(root, 0.1, False, project=ctx)
        assert result["stopped"] is True
        assert final(root)["status"] == "canceled"
        [listed] = list_runs(runs, ctx)
        assert listed["status"] == "canceled"
        with store.transaction(write=False) as tx:
            assert tx.one("run_get", run_id="r1")["status"] == "canceled"
    finally:
        store.close()


def test_stop_of_a_dead_never_started_run_works_from_the_cli(tmp_path: Path) -> None:
    root = prepare_logs_root(tmp_path / "runs" / "r1")
    out = subprocess.run(
        [sys.executable, "-m", "bosun", "run", "stop", "r1", "--logs-root", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert final(root)["status"] == "canceled"


def test_prune_keeps_a_run_whose_git_json_is_half_written_and_says_why(
    git_repo: Path, tmp_path: Path
) -> None:
    from bosun.pipeline.runs import prune_runs

    g = tmp_path / "g.dot"
    g.write_text(graph(tool("a", "true"), "start -> a", "a -> exit"))
    opts = options(tmp_path, workspace=git_repo, keep_worktree=True)
    opts.use_git = True
    start_run(g, opts, "r1")
    base = tmp_path / "runs" / "r1"
    worktree = Path(json.loads((base / "git.json").read_text())["worktree"])
    assert worktree.is_dir()
    (base / "git.json").write_text('{"repo": "/tm')
    [row] = prune_runs(tmp_path / "runs")
    assert row["removed"] is False and "git.json is unreadable" in row["reason"]
    assert worktree.is_dir()
