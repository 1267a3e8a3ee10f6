"""`bosun demo`: the main job end to end, as a user runs it — and its bad input.

The full run (`bosun demo --quick --json`) drives real tmux, real git, the supervisor,
the merge queue, a pipeline, triggers and the sentinel; it must end with every fault
recovered, work lost 0, and nothing left running. Run alone:
`pytest tests/e2e/test_demo.py -v` (about a minute on 2 cores).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bosun.base.errors import InvalidInput
from bosun.demo.plan import INCOMPATIBLE, ORDER, Fault, assign_faults, parse_faults, plan_fleet
from waiting import wait_for

ALL_FAULTS = {str(f) for f in Fault}


def demo(*args: str, cwd: Path, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOSUN_", "TMUX"))}
    return subprocess.run(
        [sys.executable, "-m", "bosun", "demo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def pids_under(directory: Path) -> list[int]:
    """Processes whose working directory or command line is inside `directory`."""
    found = []
    root = str(directory.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state != "Z" and (cwd == root or cwd.startswith(root + "/") or root in cmdline):
                found.append(int(entry.name))
    return found


def tmux_alive(socket: str) -> bool:
    out = subprocess.run(["tmux", "-L", socket, "list-sessions"], capture_output=True, check=False)
    return out.returncode == 0


def socket_of(repo: Path) -> str | None:
    config = repo / ".bosun" / "config.toml"
    if not config.exists():
        return None
    for line in reversed(config.read_text().splitlines()):
        if line.startswith("tmux_socket = "):
            return line.split('"')[1]
    return None


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    """Where the demo builds its sample; whatever it left running is stopped afterwards
    (by its tmux socket and by processes working inside the directory), even on failure."""
    target = tmp_path / "demo"
    yield target
    socket = socket_of(target)
    if socket:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
    for pid in pids_under(target):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.tmux
@pytest.mark.slow
def test_the_quick_demo_injects_every_fault_and_loses_no_work(
    demo_dir: Path, tmp_path: Path
) -> None:
    result = demo("--quick", "--json", "--dir", str(demo_dir), cwd=tmp_path)
    assert result.stdout.strip(), result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert result.returncode == 0, report["reasons"]
    assert report["ok"] is True and report["reasons"] == []

    # work lost 0, by the report's own definition, and checked here against git
    totals = report["totals"]
    assert totals["work_lost"] == 0 and totals["lost"] == {}
    assert totals["merged"] == totals["work_items"] == 6
    main = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "main"],
        cwd=demo_dir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for row in report["agents"]:
        name = row["feature"].removeprefix("calc.")
        assert f"calc/{name}.py" in main and f"tests/test_{name}.py" in main
        assert row["work_status"] == "merged" and row["merges"] >= 1
    assert "(ok)" in report["main_tests"]

    # every fault was injected (on some agent) and seen recovered
    assert {f["fault"] for f in report["faults"]} == ALL_FAULTS
    assert all(f["recovered"] and f["agents"] for f in report["faults"]), report["faults"]
    injected = {fault for row in report["agents"] for fault in row["faults"]}
    assert injected == ALL_FAULTS
    ladder = {r["condition"]: r for row in report["agents"] for r in row["recoveries"]}
    assert ladder["crashed"]["recovered_by"] == "seance_restart"
    assert ladder["stalled"]["rungs"][0] == {"rung": 1, "strategy": "nudge", "outcome": "failure"}
    assert ladder["stalled"]["recovered_by"] == "seance_restart"
    assert ladder["context_exhausted"]["recovered_by"] == "context_cycle"
    assert all(r["seconds"] is not None and r["seconds"] >= 0 for r in ladder.values())
    assert totals["conflicts"] >= 1 and totals["escalations"] == 0
    assert report["pipeline"]["status"] == "success"
    assert report["pipeline"]["nodes"][-2:] == ["ship", "exit"]
    assert report["events"] > 100

    # nothing left behind: tmux server, processes, agent worktrees
    assert not tmux_alive(report["tmux_socket"])
    wait_for(lambda: not pids_under(demo_dir), timeout=15, what="no process left in the demo")
    assert not list((demo_dir / ".bosun" / "worktrees").glob("*"))
    assert report["cleanup"]["kept"] == []
    trees = subprocess.run(
        ["git", "worktree", "list"], cwd=demo_dir, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(trees) == 1, trees


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agents", "0"], "--agents must be from 1 to 12 (got 0)"),
        (["--agents", "13"], "--agents must be from 1 to 12 (got 13)"),
        (["--faults", "bogus"], "unknown fault 'bogus'"),
        (["--faults", "crash,nosuch"], "unknown fault 'nosuch'"),
        (["--agents", "1", "--faults", "conflict"], "the conflict fault needs two agents"),
        (["--agents", "2", "--faults", "swallow,hang,claim"], "2 agent(s) cannot carry"),
    ],
)
def test_bad_input_is_one_line_with_a_hint_and_creates_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = demo(*args, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"error: {message}" or lines[0].startswith(f"error: {message}")
    assert lines[1].startswith("hint: ")
    assert list(tmp_path.iterdir()) == []  # checked before anything is created


def test_dir_must_be_a_new_or_empty_directory(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine\n")
    result = demo("--dir", str(a_file), "--json", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error["message"] == f"--dir {a_file} is a file, not a directory"
    assert error["hint"]
    assert a_file.read_text() == "mine\n"

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("keep\n")
    result = demo("--dir", str(busy), cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and "is not empty" in result.stderr
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]


def test_faults_are_spread_so_every_one_can_be_injected_and_recovered() -> None:
    assert set(parse_faults("all")) == set(Fault)
    assert parse_faults("none") == ()
    assert parse_faults(" Hang , crash ") == (Fault.CRASH, Fault.HANG)
    for count in range(3, 13):
        held = assign_faults(count, parse_faults("all"))
        assert sorted(f for h in held for f in h) == sorted(ORDER)
        pair = [i for i, h in enumerate(held) if Fault.CONFLICT in h]
        assert len(pair) == 2  # two different agents conflict with each other
        for faults in held:
            for a in faults:
                for b in faults:
                    assert a == b or frozenset({a, b}) not in INCOMPATIBLE
    with pytest.raises(InvalidInput, match="needs two agents"):
        assign_faults(1, (Fault.CONFLICT,))
    with pytest.raises(InvalidInput, match="2 agent\\(s\\) cannot carry"):
        assign_faults(2, parse_faults("all"))  # swallow fits next to neither hang nor claim
    plan = plan_fleet(6, parse_faults("all"), quick=True)
    assert plan.sentinel and [a.name for a in plan.agents][:2] == ["double", "square"]
    claim = plan.with_fault(Fault.CLAIM)[0]
    assert "```bosun-task" in claim.body() and "I will commit" in claim.body()
    assert plan_fleet(3, (), quick=False).sentinel is False
