"""Listing runs, their status, stopping them, and pruning what dead runs left behind."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.base.errors import InvalidInput, NotFound
from bosun.base.paths import atomic_write_json
from bosun.pipeline.gitrun import GitRun
from bosun.pipeline.recorder import Recorder
from bosun.pipeline.rundir import FinalRecord, FinalStatus, RunDir, is_locked, read_final
from bosun.pipeline.toolgroups import kill_recorded_groups

if TYPE_CHECKING:
    from bosun.core.context import Context


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_pid(base: Path) -> int | None:
    try:
        return int((base / "run.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return True
    return True


def is_bosun_run(pid: int, base: Path, run_id: str) -> bool:
    """Positive evidence that `pid` is the bosun process running this run."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    words = [a.decode("utf-8", "replace") for a in argv if a]
    text = " ".join(words)
    if "bosun" not in text or "run" not in words:
        return False
    return run_id in text or str(base) in text or is_locked(base / "run.lock")


def run_status(base: Path, registered: bool = False) -> dict[str, Any]:
    """Everything `bosun run status` shows, from the run directory alone (`registered`: the
    store knows the run, so a directory without a live process is a dead run, not unknown)."""
    manifest = _json(base / "manifest.json")
    final = read_final(base)
    checkpoint = _json(base / "checkpoint.json")
    pid = read_pid(base)
    running = final is None and (is_locked(base / "run.lock") or pid_alive(pid))
    if final is not None:
        status = str(final.get("status"))
    elif running:
        status = "running"
    elif manifest:
        status = "dead"
    else:
        dead = registered or (base / "run.pid").exists()
        status = "starting" if pid_alive(pid) else "dead" if dead else "unknown"
    current = checkpoint.get("logs_root") or str(base)
    last_event = _last_line(Path(current) / "progress.ndjson")
    return {
        "run_id": manifest.get("run_id") or base.name,
        "status": status,
        "logs_root": str(base),
        "graph": manifest.get("graph"),
        "pid": pid,
        "started_at": manifest.get("started_at"),
        "finished_at": final.get("finished_at") if final else None,
        "failure_reason": final.get("failure_reason") if final else None,
        "current_node": checkpoint.get("current_node"),
        "next_node": checkpoint.get("next_node"),
        "completed_nodes": checkpoint.get("completed_nodes", []),
        "restart_count": checkpoint.get("restart_count", 0),
        "waiting_for_human": waiting_gate(base) if final is None else None,
        "last_event": last_event,
        "final": final,
    }


def waiting_gate(base: Path) -> dict[str, Any] | None:
    """The human gate a run waits at — `{node_id, question, choices, keys, default, timeout,
    asked_at}` — or None. Any status view calls this with the run directory."""
    checkpoint = _json(base / "checkpoint.json")
    current = Path(checkpoint.get("logs_root") or base)
    if current != base:
        checkpoint = _json(current / "checkpoint.json") or checkpoint
    gate = checkpoint.get("waiting_gate")
    return gate if isinstance(gate, dict) and read_final(base) is None else None


def _last_line(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 8192))
            lines = fh.read().splitlines()
    except OSError:
        return None
    for raw in reversed(lines):
        try:
            data = json.loads(raw)
            return data if isinstance(data, dict) else None
        except ValueError:
            continue
    return None


def list_runs(
    runs_dir: Path, project: Context | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Runs known to the store (visible from launch) and run directories under runs_dir."""
    found: dict[str, dict[str, Any]] = {}
    if project is not None:
        with project.store.transaction(write=False) as tx:
            rows = tx.all("run_list", status=None, limit=limit)
        for row in rows:
            found[row["logs_root"]] = row
    if runs_dir.is_dir():
        for entry in runs_dir.iterdir():
            if (entry / "manifest.json").exists() or (entry / "run.pid").exists():
                found.setdefault(str(entry), {"run_id": entry.name, "logs_root": str(entry)})
    result = []
    for logs_root, row in found.items():
        base = Path(logs_root)
        info = (
            run_status(base)
            if base.is_dir()
            else {"run_id": row["run_id"], "status": "missing", "logs_root": logs_root}
        )
        if info["status"] == "unknown" and row.get("status"):
            info["status"] = "dead" if row["status"] in ("starting", "running") else row["status"]
        if info["status"] not in ("running", "starting", "missing"):
            reap_orphan_tools(base, str(info["run_id"]))
        info["run_id"] = row.get("run_id") or info["run_id"]
        info.pop("final", None)
        info.pop("last_event", None)
        result.append(info)
    result.sort(key=lambda r: (r.get("started_at") or "~", r["run_id"]), reverse=True)
    return result[:limit]


def reap_orphan_tools(base: Path, run_id: str) -> list[int]:
    """Kill the tool groups a run that no process owns left behind (kill -9 of the run):
    `run list`, `run stop` and `run resume` each do it, so no tool keeps writing into the
    run's worktree. A run whose lock is held is left alone."""
    if not (base / "tool_groups").is_dir() or is_locked(base / "run.lock"):
        return []
    killed = kill_recorded_groups(base)
    if killed:
        RunDir(base.absolute(), run_id).event("orphan_tools_killed", pgids=killed)
    return killed


def find_run(run_id: str, runs_dir: Path, project: Context | None = None) -> Path:
    if (runs_dir / run_id / "manifest.json").exists() or (runs_dir / run_id / "run.pid").exists():
        return runs_dir / run_id
    if project is not None:
        with project.store.transaction(write=False) as tx:
            row = tx.one("run_get", run_id=run_id)
        if row is not None:
            return Path(row["logs_root"])
    raise NotFound(f"no run {run_id!r}", "list runs with `bosun run list`")


def stop_run(
    base: Path,
    grace: float,
    force: bool,
    reason: str = "bosun run stop",
    project: Context | None = None,
) -> dict[str, Any]:
    """SIGTERM the run's process (after checking it is one), wait, SIGKILL if forced. A run
    whose process is gone (killed, or never started because its launcher died) gets its
    terminal final.json here."""
    manifest = _json(base / "manifest.json")
    run_id = str(manifest.get("run_id") or base.name)
    pid = read_pid(base)
    if read_final(base) is not None:
        return {"run_id": run_id, "stopped": False, "reason": "already finished"}
    if pid is None or not pid_alive(pid):
        reap_orphan_tools(base, run_id)  # what a killed run left behind
        _final_canceled(base, run_id, manifest, f"{reason}: its process was gone", project)
        return {"run_id": run_id, "pid": pid, "stopped": True, "killed": False, "dead": True}
    if not is_bosun_run(pid, base, run_id):
        raise InvalidInput(
            f"pid {pid} is not a bosun run (refusing to signal it)", f"check {base / 'run.pid'}"
        )
    atomic_write_json(
        base / "stop_request.json",
        {"pid": pid, "at": iso(time.time()), "grace": grace, "force": force},
    )
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.05)
    killed = False
    if pid_alive(pid) and force:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        killed = True
        end = time.monotonic() + 5
        while time.monotonic() < end and pid_alive(pid):
            time.sleep(0.05)
    if not pid_alive(pid):
        kill_recorded_groups(base)  # a forced stop leaves no tool behind
    if read_final(base) is None and not pid_alive(pid):
        how = "SIGKILL" if killed else "SIGTERM"
        _final_canceled(base, run_id, manifest, f"{reason}: {how}", project)
    return {"run_id": run_id, "pid": pid, "stopped": not pid_alive(pid), "killed": killed}


def _final_canceled(
    base: Path, run_id: str, manifest: dict[str, Any], reason: str, project: Context | None
) -> None:
    rundir = RunDir(base.absolute(), run_id)
    record = FinalRecord(
        FinalStatus.CANCELED,
        run_id,
        manifest.get("started_at"),
        iso(time.time()),
        reason,
        "",
        0,
        str(base),
    )
    rundir.write_final(record)
    if project is not None:
        Recorder(rundir, project).finished(record)


def prune_runs(runs_dir: Path, project: Context | None = None) -> list[dict[str, Any]]:
    """Remove clean worktrees of runs that are not running; keep dirty ones and say so."""
    report = []
    for info in list_runs(runs_dir, project, limit=10_000):
        base = Path(info["logs_root"])
        if info["status"] in ("running", "starting") or not (base / "git.json").exists():
            continue
        git_info = _json(base / "git.json")
        git = GitRun(Path(git_info["repo"]))
        trees = [Path(git_info["worktree"])]
        parallel = base / "parallel"
        if parallel.is_dir():
            trees += [p for fan in parallel.iterdir() if fan.is_dir() for p in fan.iterdir()]
        for tree in trees:
            if not tree.exists():
                continue
            removed = git.remove_worktree(tree)
            report.append(
                {
                    "run_id": info["run_id"],
                    "worktree": str(tree),
                    "removed": removed,
                    "reason": "" if removed else "uncommitted changes; kept",
                }
            )
    return report
