"""Where a project's state lives, and how bosun writes files (always atomically)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bosun.base.errors import NotAProject, OperationFailed

STATE_DIR = ".bosun"


@dataclass(frozen=True)
class ProjectPaths:
    """Every path bosun uses inside one project, derived from the repository root."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / STATE_DIR

    @property
    def config(self) -> Path:
        return self.home / "config.toml"

    @property
    def database(self) -> Path:
        return self.home / "bosun.db"

    @property
    def state(self) -> Path:
        return self.home / "state"

    def identity_mirror(self, role: str, name: str) -> Path:
        return self.state / "identities" / f"{role}-{name}.json"

    def hook_mirror(self, role: str, name: str) -> Path:
        return self.state / "hooks" / f"{role}-{name}.json"

    def context_file(self, role: str, name: str) -> Path:
        """Context-window usage in Claude Code's status-line `context_window` shape."""
        return self.state / "context" / f"{role}-{name}.json"

    def transcript(self, role: str, name: str) -> Path:
        return self.state / "transcripts" / f"{role}-{name}.log"

    @property
    def worktrees(self) -> Path:
        return self.home / "worktrees"

    @property
    def runs(self) -> Path:
        return self.home / "runs"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def runtimes(self) -> Path:
        return self.home / "runtimes"

    @property
    def supervisor_lock(self) -> Path:
        return self.home / "supervisor.lock"


def git_toplevel(start: Path) -> Path | None:
    """The top of the git work tree containing `start`, or None outside git."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=start,
            capture_output=True,
            text=True,
            check=False,
        )
    except (FileNotFoundError, NotADirectoryError):
        return None
    if out.returncode != 0:
        return None
    return Path(out.stdout.strip())


def find_project(start: Path | None = None, env: dict[str, str] | None = None) -> ProjectPaths:
    """Find the project: `BOSUN_HOME`, else walk up from `start` to a directory with `.bosun/`.

    A worktree inside `.bosun/worktrees/` belongs to the project that holds it, so the walk
    goes past the worktree's own root.
    """
    home = (os.environ if env is None else env).get("BOSUN_HOME")
    if home:
        path = Path(home).expanduser().resolve()
        root = path.parent if path.name == STATE_DIR else path
        if not (root / STATE_DIR).is_dir():
            raise NotAProject(
                f"BOSUN_HOME={home} has no {STATE_DIR}/ directory",
                "run `bosun init` in that repository or unset BOSUN_HOME",
            )
        return ProjectPaths(root)
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / STATE_DIR / "config.toml").is_file() or (
            candidate / STATE_DIR / "bosun.db"
        ).is_file():
            return ProjectPaths(candidate)
    raise NotAProject(
        f"no bosun project at or above {here}",
        "run `bosun init` in your git repository, or set BOSUN_HOME",
    )


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` so readers see the old or the new file, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def atomic_write_json(path: Path, obj: Any, mode: int = 0o644) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n", mode)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def move_aside(path: Path, now: float | None = None) -> Path:
    """Move a file that failed to parse to `<name>.corrupt-<timestamp>`; never reset it."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now if now is not None else time.time()))
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(path, target)
    return target


def read_json_file(path: Path, hint: str = "inspect the moved file") -> Any:
    """Read a JSON file bosun wrote; a corrupt one is moved aside and reported with `hint`
    (what the caller does without it)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        aside = move_aside(path)
        raise OperationFailed(
            f"{path} is not valid JSON; moved it to {aside.name}", hint, code="corrupt_file"
        ) from exc
