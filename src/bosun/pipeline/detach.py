"""Detached runs: the run process gets its own session (it survives the launcher and its
terminal), writes run.out, and its pid goes to run.pid before the launcher returns."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bosun.base.paths import atomic_write_text
from bosun.pipeline.recorder import register_run
from bosun.pipeline.rundir import check_run_id, new_run_id, prepare_logs_root

if TYPE_CHECKING:
    from bosun.core.context import Context


@dataclass(frozen=True)
class Detached:
    run_id: str
    logs_root: Path
    pid_file: Path
    pid: int


def launch_detached(
    graph: Path,
    runs_dir: Path,
    workspace: Path,
    now: float,
    run_id: str | None = None,
    logs_root: Path | None = None,
    keep_worktree: bool = False,
    store: Context | None = None,
) -> Detached:
    run_id = check_run_id(run_id) if run_id else new_run_id(now)
    if store is not None:  # layer 0 refuses missing runtimes before anything exists
        from bosun.chain.preflight import check_graph_file

        check_graph_file(store, graph)
    root = prepare_logs_root(logs_root if logs_root is not None else runs_dir / run_id)
    if not graph.exists():
        from bosun.base.errors import NotFound

        raise NotFound(f"no graph file {graph}", "pass the path of a .dot file")
    args = [
        sys.executable,
        "-m",
        "bosun",
        "run",
        "start",
        str(graph.absolute()),
        "--run-id",
        run_id,
        "--logs-root",
        str(root),
    ]
    if keep_worktree:
        args.append("--keep-worktree")
    if store is not None:
        # registered before the child starts, so `bosun run list` sees it at once
        register_run(store, run_id, str(graph.absolute()), str(root), "starting", None, True)
    with open(root / "run.out", "ab") as out:
        proc = subprocess.Popen(
            args,
            cwd=workspace,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, "BOSUN_DETACHED": "1"},
        )
    pid_file = root / "run.pid"
    atomic_write_text(pid_file, f"{proc.pid}\n")
    if store is not None:
        from bosun.chain.launcher import register_launcher

        register_launcher(store, run_id, proc.pid, str(root))
    return Detached(run_id, root, pid_file, proc.pid)
