"""Leaving nothing behind: the pipeline run, the supervisor, the dashboard, the agents'
tmux server and the worktrees — the worktrees only through `bosun worktree remove`, which
refuses (and the demo then keeps them and says so) unless their work is merged or clean.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bosun.demo.pipeline import PipelineRun
from bosun.demo.shell import Bosun


@dataclass
class Cleanup:
    stopped: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # worktrees kept because they hold work
    problems: list[str] = field(default_factory=list)


def tear_down(bosun: Bosun, socket: str | None, run: PipelineRun | None) -> Cleanup:
    done = Cleanup()
    repo = bosun.repo
    if run is not None and run.read_final() is None:
        call = bosun.call("run", "stop", run.run_id, "--grace", "5", "--force", timeout=60)
        (done.stopped if call.ok else done.problems).append(
            f"pipeline run {run.run_id}" if call.ok else f"run stop: {call.error()}"
        )
    if (repo / ".bosun" / "supervisor.lock").exists():
        call = bosun.call("stop", "--timeout", "30", timeout=60)
        if call.ok:
            done.stopped.append(f"supervisor (pid {call.data.get('pid')})")
        elif "no supervisor is running" not in call.error():
            done.problems.append(f"bosun stop: {call.error()}")
    if bosun.background:
        done.stopped.append(f"{len(bosun.background)} background process(es)")
    bosun.stop_background()
    if socket:
        killed = subprocess.run(
            ["tmux", "-L", socket, "kill-server"], capture_output=True, text=True, check=False
        )
        if killed.returncode == 0:
            done.stopped.append(f"tmux server {socket}")
        if not tmux_server_running(socket):
            socket_file(socket).unlink(missing_ok=True)
    remove_worktrees(bosun, repo, done)
    return done


def remove_worktrees(bosun: Bosun, repo: Path, done: Cleanup) -> None:
    """Agent worktrees through `bosun worktree remove` (which refuses to lose work), then the
    merge queue's scratch checkouts when they are clean (they hold no one's work)."""
    trees = repo / ".bosun" / "worktrees"
    for tree in sorted(trees.iterdir()) if trees.is_dir() else []:
        call = bosun.call("worktree", "remove", tree.name, timeout=60)
        if not call.ok:
            done.kept.append(f"{tree} ({call.error()})")
    for tree in scratch_worktrees(repo):
        status = _git(repo, "-C", str(tree), "status", "--porcelain")
        if status.returncode == 0 and not status.stdout.strip():
            _git(repo, "worktree", "remove", str(tree))
        else:
            done.kept.append(f"{tree} (merge queue scratch with changes)")
    _git(repo, "worktree", "prune")


def scratch_worktrees(repo: Path) -> list[Path]:
    out = _git(repo, "worktree", "list", "--porcelain")
    scratch = (repo / ".bosun" / "merge").resolve()
    trees = [Path(line[9:]) for line in out.stdout.splitlines() if line.startswith("worktree ")]
    return [t for t in trees if scratch in t.resolve().parents]


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=False, timeout=60
    )


def socket_file(socket: str) -> Path:
    base = os.environ.get("TMUX_TMPDIR") or "/tmp"
    return Path(base) / f"tmux-{os.getuid()}" / socket


def tmux_server_running(socket: str) -> bool:
    out = subprocess.run(
        ["tmux", "-L", socket, "list-sessions"], capture_output=True, text=True, check=False
    )
    return out.returncode == 0
