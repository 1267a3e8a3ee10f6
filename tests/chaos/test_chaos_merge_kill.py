"""Campaign (b): kill -9 the merge processor at random moments, round after round.

Each round queues good and bad requests (single- and multi-commit branches), starts
`bosun merge-queue process` in its own process group and SIGKILLs the whole group at a
random moment: mid-rebase (its git children die too, leaving lock files), mid-gate (the
gates, in their own groups, are orphaned), mid-landing. A final undisturbed run drains the
queue. Then: 0 lost requests, 0 double merges, 0 untested trees ever on main, 0 good
requests blamed, 0 gates left running."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from chaosmode import LONG, figures, size

from gitrepo import git

ROUNDS = size(3, 40)
PER_ROUND = size(4, 5)
GATE = (
    'git rev-parse "HEAD^{{tree}}" >> {tested}; '
    "sleep $(( $$ % 3 )).$(( $$ % 9 + 1 )); "
    "! test -e BAD"
)


def _commit_on(root: Path, branch: str, files: dict[str, str], commits: int) -> None:
    """`commits` commits on a new `branch` from main, made with plumbing (no checkout)."""
    parent = git(root, "rev-parse", "main")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        for n in range(commits):
            subprocess.run(["git", "read-tree", parent], cwd=root, env=env, check=True)
            for path, content in files.items():
                blob = subprocess.run(
                    ["git", "hash-object", "-w", "--stdin"],
                    cwd=root,
                    input=f"{content}{n}\n",
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
                subprocess.run(
                    ["git", "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}"],
                    cwd=root,
                    env=env,
                    check=True,
                )
            tree = subprocess.run(
                ["git", "write-tree"],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            parent = subprocess.run(
                ["git", "commit-tree", tree, "-p", parent, "-m", f"{branch} {n}"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
    git(root, "update-ref", f"refs/heads/{branch}", parent)


MOMENTS = ("claimed", "built", "gate", "landed", "anytime")
_KINDS = {
    "claimed": "merge.testing",
    "built": "merge.built",
    "gate": "merge.gate_group_started",
    "landed": "merge.batch_landed",
}


def _wait_for_moment(ctx, proc: subprocess.Popen[bytes], moment: str, rng: random.Random) -> None:
    """Until the processor reaches `moment` (a new event of that kind), then a little more:
    the kill lands mid-rebase, mid-gate, mid-landing. Gives up after 20 s."""
    if moment == "anytime":
        time.sleep(rng.uniform(0.2, 3.0))
        return
    kind = _KINDS[moment]
    seen = len(ctx.events.since(0, kind=kind, limit=1_000_000))
    deadline = time.monotonic() + 20
    while proc.poll() is None and time.monotonic() < deadline:
        if len(ctx.events.since(0, kind=kind, limit=1_000_000)) > seen:
            break
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.25))


def _bosun(root: Path, *args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bosun", *args],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.timeout(7200 if LONG else 600)
def test_kill_9_campaign_loses_nothing_and_blames_nobody(project: Path, tmp_path: Path) -> None:
    from bosun.core.context import open_project
    from bosun.mergequeue.orphans import group_members
    from bosun.mergequeue.queue import MergeQueue

    started = time.monotonic()
    rng = random.Random(int(os.environ.get("BOSUN_CHAOS_SEED", "18")))
    tested = tmp_path / "tested-trees"
    tested.touch()
    config = project / ".bosun" / "config.toml"
    gate = json.dumps(GATE.format(tested=tested))
    config.write_text(
        config.read_text()
        + f'\n[merge_queue]\nbatch = "adaptive"\nbatch_ceiling = 4\ngates = [{gate}]\n'
    )
    ctx = open_project(project, env={})
    base = git(project, "rev-parse", "main")
    good: dict[str, int] = {}  # request id -> commits
    bad: set[str] = set()
    kills = 0
    moments: dict[str, int] = {}
    try:
        for round_no in range(ROUNDS):
            for i in range(PER_ROUND):
                name = f"r{round_no}-{i}"
                is_bad = rng.random() < 0.2
                commits = rng.choice((1, 1, 2, 3))
                files = {f"{name}.txt": name, **({"BAD": name} if is_bad else {})}
                _commit_on(project, f"feat/{name}", files, commits)
                request, _ = MergeQueue(ctx).enqueue(f"feat/{name}")
                (bad.add(request.id) if is_bad else good.__setitem__(request.id, commits))
            proc = _bosun(project, "merge-queue", "process")
            moment = rng.choice(MOMENTS)
            _wait_for_moment(ctx, proc, moment, rng)
            if proc.poll() is None:
                moments[moment] = moments.get(moment, 0) + 1
                os.killpg(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait(timeout=60)
        for _ in range(5):  # drain, undisturbed
            done = _bosun(project, "merge-queue", "process")
            assert done.wait(timeout=600) == 0
            statuses = {r: MergeQueue(ctx).get(r).status for r in [*good, *bad]}
            if all(s in ("merged", "failed", "conflict") for s in statuses.values()):
                break
        lost = [r for r, s in statuses.items() if s not in ("merged", "failed", "conflict")]
        blamed = [r for r in good if statuses[r] != "merged"]
        landed = ctx.events.since(0, kind="merge.landed", limit=1_000_000)
        double = len(landed) - len({e.subject for e in landed})
        commits_on_main = int(git(project, "rev-list", "--count", f"{base}..main"))
        expected_commits = sum(good.values()) + sum(1 for r in bad if statuses[r] == "merged")
        trees = set(tested.read_text().split())
        history = git(project, "rev-list", f"{base}..main").split()
        tips = [
            e.data["target_tip"]
            for e in ctx.events.since(0, kind="merge.batch_landed", limit=1_000_000)
        ]
        untested = [c for c in tips if git(project, "rev-parse", f"{c}^{{tree}}") not in trees]
        main_tree = git(project, "rev-parse", "main^{tree}")
        orphans = [
            int(e.data["pgid"])
            for e in ctx.events.since(0, kind="merge.gate_group_started", limit=1_000_000)
            if group_members(int(e.data["pgid"]))
        ]
        killed_gates = sum(
            1
            for e in ctx.events.since(0, kind="merge.gate_group_ended", limit=1_000_000)
            if str(e.data.get("how", "")).startswith("killed")
        )
        figures(
            "merge-kill",
            rounds=ROUNDS,
            requests=len(good) + len(bad),
            kills=kills,
            merged=sum(1 for s in statuses.values() if s == "merged"),
            bad_failed=sum(1 for r in bad if statuses[r] == "failed"),
            lost=len(lost),
            double_merges=double,
            untested_trees=len(untested) + (main_tree not in trees and bool(history)),
            good_blamed=len(blamed),
            orphan_gates_killed=killed_gates,
            moments="/".join(f"{k}:{v}" for k, v in sorted(moments.items())),
            gates_left=len(orphans),
            seconds=round(time.monotonic() - started, 1),
        )
        assert lost == [], statuses
        assert double == 0 and commits_on_main == expected_commits
        assert untested == [] and (not history or main_tree in trees)
        assert blamed == [], {r: MergeQueue(ctx).get(r).reason for r in blamed}
        assert orphans == []
        assert git(project, "status", "--porcelain") == ""
    finally:
        ctx.close()
        _kill_leftovers(project)


def _kill_leftovers(root: Path) -> None:
    """Any process still running in the scratch tree (a test failure): ended here."""
    from bosun.mergequeue.orphans import group_members

    scratch = (root / ".bosun" / "merge").resolve()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if scratch in Path(os.readlink(entry / "cwd")).parents:
                pgid = os.getpgid(int(entry.name))
                if group_members(pgid):
                    os.killpg(pgid, signal.SIGKILL)
    subprocess.run(["git", "worktree", "prune"], cwd=root, capture_output=True, check=False)
