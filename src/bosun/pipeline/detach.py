"""Detached runs: the run process gets its own session (it survives the launcher and its
terminal), writes run.out, and its pid goes to run.pid before the launcher returns.

Inside a project the caller passes two seams (the CLI passes the layered chain's): `check`
refuses the graph before anything exists, `launched` records the launcher once the run
process runs. The run process is `bosun run start`, which registers its own handlers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bosun.base.paths import atomic_write_text
from bosun.pipeline.launch import check_graph
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
    project: Context | None = None,
    check: Callable[[Path], None] | None = None,
    launched: Callable[[Detached], None] | None = None,
    extra_args: tuple[str, ...] = (),
) -> Detached:
    run_id = check_run_id(run_id) if run_id else new_run_id(now)
    check_graph(graph)  # a graph that does not parse or validate creates nothing
    if check is not None:
        check(graph)
    root = prepare_logs_root(logs_root if logs_root is not None else runs_dir / run_id)
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
    args.extend(extra_args)
    if project is not None:
        # registered before the child starts, so `bosun run list` sees it at once
        register_run(project, run_id, str(graph.absolute()), str(root), "starting", None, True)
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
    detached = Detached(run_id, root, pid_file, proc.pid)
    if launched is not None:
        launched(detached)
    return detached
