"""The fault matrix's tools: a seeded project, the checks every case makes, and the tally
that becomes the campaign's figures line (see test_chaos_fault_matrix.py)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clirunner import Bosun, Result
from gitrepo import git, make_repo

GRAPH = """digraph G { start [shape=Mdiamond]; exit [shape=Msquare];
  a [shape=parallelogram, tool_command="echo one > a.txt"]
  b [shape=parallelogram, tool_command="exit 1"]
  start -> a; a -> b; b -> exit [condition="outcome=success"] }
"""
INTERNAL = "rerun with -v and report it"  # the CLI's hint for an unexpected exception


# -- the project ------------------------------------------------------------------------


@dataclass
class Project:
    root: Path
    bosun: Bosun
    work_id: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / ".bosun"

    @property
    def db(self) -> Path:
        return self.home / "bosun.db"

    def __call__(self, *args: str, **kwargs: Any) -> Result:
        env = {**self.env, **kwargs.pop("env", {})}
        return self.bosun(*args, env=env, **kwargs)

    def run_dir(self, run_id: str = "r1") -> Path:
        return self.home / "runs" / run_id


def seed_project(where: Path, env: dict[str, str] | None = None, *, run: bool = False) -> Project:
    """A git repository with `bosun init`, an identity with pinned work, a second work item,
    a feature branch and (with `run`) a finished pipeline run `r1` that kept its worktree."""
    from bosun.core.project import init_project

    root = make_repo(where)
    env = dict(env or {})
    init_project(root, env=env)
    git(root, "branch", "feature-x")
    bosun = Bosun(root)
    project = Project(root, bosun, "", env)
    ok(project, "identity", "create", "polecat", "toast")
    project.work_id = ok(project, "work", "create", "Add auth")["id"]
    ok(project, "hook", "pin", "polecat", "toast", project.work_id)
    ok(project, "work", "create", "Second task")
    if run:
        (root / "g.dot").write_text(GRAPH)
        result = project("run", "start", "g.dot", "--run-id", "r1", "--keep-worktree")
        assert result.code == 1 and "stage b failed" in result.out, result.err or result.out
    return project


def ok(project: Project, *args: str) -> Any:
    result = project(*args, "--json")
    assert result.code == 0, f"bosun {' '.join(args)}: {result.err or result.out}"
    return result.json


ESSENTIAL_TABLES = ("identities", "work_items", "hooks", "merge_requests")


def essentials(project: Project) -> dict[str, Any]:
    """What must never be lost: identities, work items, hooks, merge requests (every row,
    every column) and the git branches."""
    if project.env.get("BOSUN_DATABASE_URL"):
        data: dict[str, Any] = {
            "identities": sorted((i["identity"], i["status"], i["incarnation"])
                                 for i in ok(project, "identity", "list")),
            "work": ok(project, "work", "list"),
            "hooks": ok(project, "hook", "list"),
        }
    else:
        data = dict(sqlite_rows(project.db, ESSENTIAL_TABLES))
    data["branches"] = [  # the user's branches (a resumed run moves its own run branch)
        line for line in git(project.root, "for-each-ref",
                             "--format=%(refname) %(objectname)", "refs/heads").splitlines()
        if not line.startswith("refs/heads/bosun/")
    ]
    return data


def sqlite_rows(db: Path, tables: tuple[str, ...]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    conn = sqlite3.connect(db)
    try:
        return [(t, sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr))
                for t in tables]
    finally:
        conn.close()


def bosun_with(root: Path, patch: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """`bosun ARGS` as a subprocess whose store constants `patch` shortens first (a 60 s
    busy timeout would make one case a minute long; the code path is the same)."""
    code = f"import sys\n{patch}\nfrom bosun.cli.app import main\nsys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=root, env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=120, check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_module(module: str, *args: str, cwd: Path) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True,
        timeout=60, check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


# -- corruption -------------------------------------------------------------------------


def half_written(data: bytes, rng: random.Random, randomized: bool) -> bytes:
    """A prefix of `data`: the middle (short) or a random cut (long), never all of it."""
    cut = rng.randrange(0, len(data)) if randomized else len(data) // 2
    return data[:cut]


def garbage(rng: random.Random, randomized: bool, size: int = 64) -> bytes:
    if not randomized:
        return b"\x00\xff{[ not what bosun wrote \xfe\n"
    return b"\xff" + bytes(rng.randrange(256) for _ in range(rng.randrange(1, size)))


@contextlib.contextmanager
def small_disk(where: Path, size: str = "8m") -> Iterator[Path]:
    """A tmpfs of `size` at `where` (we run as root), unmounted afterwards."""
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                   check=True, capture_output=True)
    try:
        yield where
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(where)], capture_output=True)
        for _ in range(50):
            if subprocess.run(["umount", str(where)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)


def can_mount(scratch: Path) -> bool:
    try:
        with small_disk(scratch / "probe", "1m"):
            return True
    except (subprocess.CalledProcessError, OSError):
        return False


# -- the tally --------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts for the figures line, and every broken promise with the fault that broke it."""

    faults: int = 0
    cases: int = 0
    clear: int = 0
    recovered: int = 0
    unaffected: int = 0
    tracebacks: int = 0
    lost: int = 0
    problems: list[str] = field(default_factory=list)

    def fault(self, name: str, body: Callable[[], None]) -> None:
        self.faults += 1
        try:
            body()
        except AssertionError as exc:
            self.problems.append(f"{name}: {exc}")

    def _traceback(self, fault: str, result: Result) -> bool:
        text = result.out + result.err
        if "Traceback" in text or INTERNAL in text:
            self.tracebacks += 1
            self.problems.append(f"{fault}: traceback or internal error: {text[-600:]}")
            return True
        return False

    def refused(self, fault: str, result: Result, code: int | None, *words: str,
                prefix: str = "error: ") -> None:
        """A refusal: exit `code` (any non-zero when None), one line starting with `prefix`
        that contains `words`, at most one `hint:` line after it, no traceback."""
        self.cases += 1
        if self._traceback(fault, result):
            return
        lines = result.err.strip().splitlines()
        good_code = result.code != 0 if code is None else result.code == code
        first = lines[0] if lines else ""
        clear = (
            good_code
            and first.startswith(prefix)
            and all(w in first for w in words)
            and len(lines) <= 2
            and (len(lines) == 1 or lines[1].startswith("hint: "))
        )
        if clear:
            self.clear += 1
        else:
            self.problems.append(
                f"{fault}: expected exit {code or 'non-zero'} and one line with {words}; "
                f"got exit {result.code}: {result.err.strip()[:400]!r}"
            )

    def worked(self, fault: str, result: Result, *, recovered: bool = False,
               code: int = 0) -> None:
        """A command the fault must not stop (`recovered`: bosun repaired something)."""
        self.cases += 1
        if self._traceback(fault, result):
            return
        if result.code != code:
            self.problems.append(
                f"{fault}: expected exit {code}, got {result.code}: {result.err.strip()[:400]!r}"
            )
        elif recovered:
            self.recovered += 1
        else:
            self.unaffected += 1

    def check(self, fault: str, condition: bool, what: str) -> None:
        if not condition:
            self.problems.append(f"{fault}: {what}")

    def kept(self, fault: str, before: object, after: object) -> None:
        """Nothing lost: the state after the fault (and its repair) equals the state before."""
        if before != after:
            self.lost += 1
            self.problems.append(f"{fault}: state changed: {before!r} != {after!r}")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())
