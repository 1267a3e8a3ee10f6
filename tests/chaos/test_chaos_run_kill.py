"""Campaign (d): kill -9 detached pipeline runs at random moments, then resume them.

Each run is `bosun run start --detach` of one graph whose tool nodes write files slowly
(line by line, one of them from a background child it waits for). The run process is
SIGKILLed at a chosen moment — while a tool runs, right after a stage ends (mid-commit,
mid-checkpoint) or at a random time — sometimes with its whole tree, sometimes alone, leaving
its tool's process group orphaned and still writing into the worktree. `bosun run resume`
follows, and is itself killed now and then; a last resume runs undisturbed. Then: every run
ended in a recorded terminal state with final.json, its committed tree equals the tree of an
uninterrupted run of the same graph (the orphaned tools were killed before resume touched the
worktree), its checkpoint names the same completed nodes and commit, and no tool is left.

Kills land after the run's first checkpoint: a run killed before it has one is not resumed
by design (`resume` refuses: "start it again"), so it is no case for this campaign."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chaosmode import LONG, figures, size

from gitrepo import git
from waiting import wait_for

RUNS = size(4, 30)
MAX_KILLS = size(2, 3)  # kills per run (the detached run, then resumes)
MOMENTS = ("tool", "stage_end", "anytime")


def _tool(node: str, command: str) -> str:
    cmd = command.replace("\\", "\\\\").replace('"', '\\"')
    return f'{node} [shape=parallelogram, tool_command="{cmd}"]'


def _slow_writer(node: str, lines: int) -> str:
    """Append `lines` lines one by one: an orphan that kept writing would add more."""
    return f"for i in $(seq {lines}); do echo {node} $i >> {node}.txt; sleep 0.1; done"


GRAPH = f"""digraph chaos {{
  start [shape=Mdiamond]
  exit [shape=Msquare]
  {_tool("prepare", "mkdir -p out && echo ready > out/ready.txt")}
  {_tool("write_a", _slow_writer("a", 15))}
  {_tool("write_b", "(" + _slow_writer("bg", 12) + ") & " + _slow_writer("b", 5) + "; wait")}
  {_tool("write_c", _slow_writer("c", 10) + "; cat a.txt b.txt > out/ab.txt")}
  {_tool("summary", "wc -l *.txt out/*.txt > out/summary.txt")}
  start -> prepare -> write_a
  write_a -> write_b [condition="outcome=success"]
  write_b -> write_c [condition="outcome=success"]
  write_c -> summary [condition="outcome=success"]
  summary -> exit [condition="outcome=success"]
}}
"""


def _resume(root: Path, base: Path) -> subprocess.Popen[bytes]:
    """`bosun run resume` in its own process group, its output appended to resume.out."""
    with open(base / "resume.out", "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bosun", "run", "resume", "--logs-root", str(base)],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def _stat(pid: int | str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields is not None and fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _tools_of(under: Path) -> list[int]:
    """Live processes of a recorded tool group under `under` (a run or the logs folder:
    their environment carries BOSUN_TOOL_GROUP=<logs>/<run>/tool_groups/<pgid>)."""
    needle = f"BOSUN_TOOL_GROUP={under}/".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(entry.name)
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if fields is not None and fields[0] != "Z" and needle in environ:
            found.append(int(entry.name))
    return found


def _progress(base: Path) -> list[dict[str, Any]]:
    try:
        text = (base / "progress.ndjson").read_text()
    except OSError:
        return []
    events = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            events.append(json.loads(line))
    return events


def _final(base: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads((base / "final.json").read_text()))
    except (OSError, ValueError):
        return None


class Campaign:
    def __init__(self, root: Path, logs: Path, rng: random.Random) -> None:
        self.root = root
        self.logs = logs
        self.rng = rng
        self.kills = 0
        self.tree_kills = 0
        self.moments: dict[str, int] = {}

    def until_moment(self, proc: subprocess.Popen[bytes], base: Path, moment: str) -> None:
        wait_for(  # kills land from the first checkpoint on (see the module docstring)
            lambda: proc.poll() is not None or (base / "checkpoint.json").exists(),
            timeout=60,
            what="the first checkpoint",
        )
        if moment == "anytime":
            time.sleep(self.rng.uniform(0.0, 4.0))
            return
        seen = sum(1 for e in _progress(base) if e.get("event") == "stage_attempt_end")
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            if moment == "tool" and _tools_of(base):
                time.sleep(self.rng.uniform(0.0, 0.3))
                return
            if moment == "stage_end" and seen < sum(
                1 for e in _progress(base) if e.get("event") == "stage_attempt_end"
            ):
                time.sleep(self.rng.uniform(0.0, 0.05))
                return
            time.sleep(0.01)

    def kill(self, proc: subprocess.Popen[bytes], base: Path) -> None:
        if proc.poll() is not None:
            return
        if self.kills % 2:  # the whole tree: the run, its tools and their children
            for pid in [proc.pid, *_descendants(proc.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.tree_kills += 1
        else:  # the run alone: a running tool is orphaned and keeps writing
            os.kill(proc.pid, signal.SIGKILL)
        self.kills += 1
        proc.wait(timeout=30)


def _detach(root: Path, graph: Path, run_id: str, base: Path) -> subprocess.Popen[bytes] | int:
    """`bosun run start --detach`; returns the run process's pid once it started."""
    out = subprocess.run(
        [sys.executable, "-m", "bosun", "run", "start", str(graph), "--detach",
         "--run-id", run_id, "--logs-root", str(base), "--json"],
        cwd=root, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return int(json.loads(out.stdout)["pid"])


class _Pid:
    """A detached run process (not our child): poll and wait by pid."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        fields = _stat(self.pid)
        return None if fields is not None and fields[0] != "Z" else 0

    def wait(self, timeout: float) -> int:
        wait_for(lambda: self.poll() is not None, timeout=timeout, what=f"pid {self.pid}")
        return 0


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "logs"
    root.mkdir()
    yield root
    needle = str(root).encode()
    for entry in Path("/proc").iterdir():  # whatever a failing run left behind
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)


@pytest.mark.timeout(3600 if LONG else 600)
def test_kill_9_of_runs_then_resume_commits_the_uninterrupted_tree(
    project: Path, tmp_path: Path, logs: Path
) -> None:
    started = time.monotonic()
    rng = random.Random(int(os.environ.get("BOSUN_CHAOS_SEED", "18")))
    graph = tmp_path / "chaos.dot"
    graph.write_text(GRAPH)

    # the reference: one uninterrupted run of the same graph
    reference = subprocess.run(
        [sys.executable, "-m", "bosun", "run", "start", str(graph), "--run-id", "reference",
         "--logs-root", str(logs / "reference")],
        cwd=project, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert reference.returncode == 0, reference.stdout + reference.stderr
    want_tree = git(project, "rev-parse", "bosun/run/reference^{tree}")
    want_nodes = json.loads((logs / "reference" / "checkpoint.json").read_text())["completed_nodes"]

    camp = Campaign(project, logs, rng)
    resumed = 0
    run_ids = [f"chaos-{n}" for n in range(RUNS)]
    for run_id in run_ids:
        base = logs / run_id
        proc: Any = _Pid(_detach(project, graph, run_id, base))
        for attempt in range(rng.randint(1, MAX_KILLS)):
            if attempt:  # a resume, killed too
                if (_final(base) or {}).get("status") == "success":
                    break
                proc = _resume(project, base)
                resumed += 1
            # the first kill orphans a running tool for sure; later ones are drawn
            moment = rng.choice(MOMENTS) if camp.kills else "tool"
            camp.until_moment(proc, base, moment)
            if proc.poll() is None:
                camp.moments[moment] = camp.moments.get(moment, 0) + 1
            camp.kill(proc, base)
        if (_final(base) or {}).get("status") != "success":  # the last resume: undisturbed
            last = _resume(project, base)
            resumed += 1
            assert last.wait(timeout=300) == 0, (base / "resume.out").read_text()[-3000:]

    finals = {run_id: _final(logs / run_id) for run_id in run_ids}
    terminal = [r for r, f in finals.items() if f and f.get("status") == "success"]
    differing, inconsistent = [], []
    reruns = 0  # nodes run again after a kill between their two checkpoints
    for run_id in run_ids:
        tree = git(project, "rev-parse", f"bosun/run/{run_id}^{{tree}}")
        if tree != want_tree:
            differing.append((run_id, git(project, "diff", "--stat", want_tree, tree)))
        checkpoint = json.loads((logs / run_id / "checkpoint.json").read_text())
        final = finals[run_id] or {}
        completed = checkpoint["completed_nodes"]
        reruns += len(completed) - len(set(completed))  # a stage run twice by a resume
        if (
            list(dict.fromkeys(completed)) != want_nodes
            or checkpoint.get("git_commit_sha") != final.get("final_commit")
            or git(project, "rev-parse", f"bosun/run/{run_id}") != final.get("final_commit")
        ):
            inconsistent.append((run_id, checkpoint["completed_nodes"], final))
    with contextlib.suppress(AssertionError):
        wait_for(lambda: not _tools_of(logs), timeout=10, what="no tool left")
    tools_left = _tools_of(logs)
    killed_orphans = sum(
        len(e.get("pgids", []))
        for run_id in run_ids
        for e in _progress(logs / run_id)
        if e.get("event") == "orphan_tools_killed"
    )
    registered = {r["run_id"]: r for r in json.loads(
        subprocess.run(
            [sys.executable, "-m", "bosun", "run", "list", "--json"],
            cwd=project, capture_output=True, text=True, timeout=60, check=True,
        ).stdout
    )}  # fmt: skip
    unrecorded = [r for r in run_ids if registered.get(r, {}).get("status") != "success"]
    worktrees = [r for r in run_ids if (logs / r / "worktree").exists()]

    figures(
        "run-kill",
        runs=RUNS,
        kills=camp.kills,
        tree_kills=camp.tree_kills,
        orphan_tools_killed=killed_orphans,
        resumed=resumed,
        terminal=f"{len(terminal)}/{RUNS}",
        differing_trees=len(differing),
        tools_left=len(tools_left),
        rerun_nodes=reruns,
        moments="/".join(f"{k}:{v}" for k, v in sorted(camp.moments.items())),
        seconds=round(time.monotonic() - started, 1),
    )
    assert len(terminal) == RUNS, finals
    assert differing == [], differing
    assert inconsistent == [], inconsistent
    assert tools_left == []
    assert unrecorded == [], {r: registered.get(r) for r in unrecorded}
    assert worktrees == []
    assert reruns == 0  # a resume never runs a completed stage again
