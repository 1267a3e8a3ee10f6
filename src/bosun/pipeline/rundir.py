"""The run directory: manifest, graph copy, checkpoint, progress log, per-node folders,
final.json, the pid/lock files — every file written atomically (progress is append-only)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bosun.base.clock import Clock, SystemClock, iso
from bosun.base.errors import InvalidInput, InvalidName, LockHeld, NotFound
from bosun.base.paths import atomic_write_json, read_json_file

RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
RESERVED_RUN_IDS = {"parallel", "list", "status", "start"}


class FinalStatus(StrEnum):
    SUCCESS = "success"
    FAIL = "fail"
    COMPLETED_WITH_FAILURES = "completed_with_failures"
    CANCELED = "canceled"


@dataclass(frozen=True)
class FinalRecord:
    status: FinalStatus
    run_id: str
    started_at: str | None
    finished_at: str | None
    failure_reason: str
    final_node: str
    restart_count: int
    logs_root: str = ""
    final_commit: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


def check_run_id(run_id: str) -> str:
    if not RUN_ID_RE.match(run_id) or ".." in run_id or run_id.lower() in RESERVED_RUN_IDS:
        raise InvalidName(
            f"invalid run id {run_id!r}",
            "use 1-100 letters, digits, '_', '.', '-'; no '/' or '..'; not 'parallel'",
        )
    return run_id


def new_run_id(now: float) -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(now)) + "-" + secrets.token_hex(3)


def prepare_logs_root(path: Path) -> Path:
    """An absolute, writable, empty-or-new run directory; refuse files and existing runs."""
    root = path.expanduser().absolute()
    if root.exists() and not root.is_dir():
        raise InvalidInput(f"logs root {root} is a file", "pass a directory path to --logs-root")
    if (root / "manifest.json").exists():
        raise InvalidInput(
            f"{root} already holds a run",
            f"resume it with `bosun run resume --logs-root {root}` or pick another --logs-root",
        )
    probe = root
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise InvalidInput(
            f"logs root {root} is not writable ({probe})",
            "pick a --logs-root in a directory you can write",
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(
            f"cannot create logs root {root}: {exc.strerror}",
            "pick a --logs-root in a directory you can write",
        ) from exc
    return root


class RunDir:
    """One run's directory (`root`), which is `restart-N/` under `base` after restarts."""

    def __init__(
        self, root: Path, run_id: str, clock: Clock | None = None, base: Path | None = None
    ) -> None:
        if not root.is_absolute():
            raise InvalidInput(
                f"run directory {root} is relative", "run directories are always absolute paths"
            )
        self.root = root
        self.base = base or root
        self.run_id = run_id
        self.clock = clock or SystemClock()
        self._lock = threading.Lock()
        self.last_event: dict[str, Any] | None = None

    # paths
    manifest = property(lambda self: self.base / "manifest.json")
    graph_copy = property(lambda self: self.base / "graph.dot")
    checkpoint = property(lambda self: self.base / "checkpoint.json")
    final = property(lambda self: self.root / "final.json")
    progress = property(lambda self: self.root / "progress.ndjson")
    pid_file = property(lambda self: self.base / "run.pid")
    out_file = property(lambda self: self.base / "run.out")
    lock_file = property(lambda self: self.base / "run.lock")
    preflight_report = property(lambda self: self.base / "preflight_report.json")
    worktree = property(lambda self: self.base / "worktree")

    def node_dir(self, node_id: str, visit: int = 1) -> Path:
        path = self.root / node_id if visit <= 1 else self.root / node_id / f"visit_{visit}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def for_restart(self, n: int) -> RunDir:
        child = RunDir(self.base / f"restart-{n}", self.run_id, self.clock, self.base)
        child.root.mkdir(parents=True, exist_ok=False)
        return child

    def event(self, name: str, **data: Any) -> dict[str, Any]:
        """Append one progress event (`event, id, run_id, ts` + data) and return it."""
        record = {
            "event": name,
            "id": secrets.token_hex(4),
            "run_id": self.run_id,
            "ts": iso(self.clock.now()),
            **data,
        }
        line = json.dumps(record, sort_keys=True, default=str) + "\n"
        with self._lock:
            with open(self.progress, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
            self.last_event = record
        return record

    def write_checkpoint(self, data: dict[str, Any]) -> None:
        """Atomic (temp file, fsync, rename); the directory is not fsynced, so a power cut
        can at worst bring back the previous checkpoint and one node runs again."""
        write_json(self.checkpoint, data, fsync=True)

    def read_checkpoint(self) -> dict[str, Any]:
        if not self.checkpoint.exists():
            raise NotFound(
                f"{self.base} has no checkpoint.json",
                "the run stopped before its first node finished; start it again",
            )
        data = read_json_file(
            self.checkpoint,
            "the run cannot continue without it: start the run again (the moved file keeps "
            "what it held)",
        )
        if not isinstance(data, dict):
            raise InvalidInput(f"{self.checkpoint} is not a checkpoint", "start the run again")
        return data

    def write_final(self, record: FinalRecord) -> None:
        """final.json in the current directory and, from a restart dir, in the base too."""
        data = record.to_json()
        atomic_write_json(self.final, data)
        if self.root != self.base:
            atomic_write_json(self.base / "final.json", data)

    def read_manifest(self) -> dict[str, Any]:
        data = read_json_file(self.manifest, "start the run again")
        if not isinstance(data, dict):
            raise InvalidInput(f"{self.manifest} is not a run manifest", "start the run again")
        return data


def write_json(path: Path, obj: Any, fsync: bool = False) -> None:
    """Atomic replace of a JSON file: readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1, sort_keys=True, default=str)
        fh.write("\n")
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_final(base: Path) -> dict[str, Any] | None:
    path = base / "final.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


class RunLock:
    """An exclusive flock on `run.lock`: one process owns a run directory at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            with contextlib.suppress(OSError, ValueError):
                holder = os.read(fd, 4096).decode().strip()
            os.close(fd)
            raise LockHeld(
                f"run directory {self.path.parent} is owned by another process {holder}".strip(),
                "wait for it to finish or stop it with `bosun run stop`",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "since": time.time()}).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def is_locked(path: Path) -> bool:
    """Whether some live process holds the run lock (without taking it)."""
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
