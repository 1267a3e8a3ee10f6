"""Merge queue benchmark: per-request overhead on a large repository, and batch=1 versus
adaptive batching for 16 requests with a 1-second gate and one culprit.

    .venv/bin/python bench/mergequeue_bench.py [--commits 5000] [--files 2000] [--quick]

`--quick` (CI) uses a 500-commit, 200-file repository and 5 overhead requests; the
16-request culprit scenario is the same.

Writes the `mergequeue` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import Figure, markdown_table, write_section  # noqa: E402

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@bosun.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@bosun.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
CULPRIT_GATE = "sleep 1; ! ls CULPRIT >/dev/null 2>&1"


def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, check=True)
    return out.stdout.decode().strip()


def generate(path: Path, commits: int, files: int) -> None:
    """A repository of `files` files and `commits` commits, written with git fast-import."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    chunks: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        chunks.append(b"data %d\n%s\n" % (len(raw), raw))

    stamp = 1_700_000_000
    chunks.append(b"commit refs/heads/main\nmark :1\n")
    chunks.append(b"committer bench <bench@bosun.invalid> %d +0000\n" % stamp)
    data("initial tree")
    for i in range(files):
        chunks.append(b"M 100644 inline src/pkg%02d/module_%04d.py\n" % (i % 50, i))
        data(f"# module {i}\nVALUE = {i}\n")
    for n in range(1, commits):
        chunks.append(b"commit refs/heads/main\nmark :%d\n" % (n + 1))
        chunks.append(b"committer bench <bench@bosun.invalid> %d +0000\n" % (stamp + n))
        data(f"change {n}")
        chunks.append(b"from :%d\n" % n)
        i = (n * 7919) % files
        chunks.append(b"M 100644 inline src/pkg%02d/module_%04d.py\n" % (i % 50, i))
        data(f"# module {i}\nVALUE = {i}\nREVISION = {n}\n")
    git(path, "fast-import", "--quiet", input=b"".join(chunks))
    git(path, "checkout", "-q", "-f", "main")


def make_requests(root: Path, count: int, culprit: int | None, tag: str) -> list[str]:
    """`count` branches off main, each changing one file of its own (plumbing only)."""
    base = git(root, "rev-parse", "main")
    branches = []
    for i in range(count):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
            subprocess.run(["git", "read-tree", base], cwd=root, env=env, check=True)
            names = [f"requests/{tag}_{i:02d}.txt"] + (["CULPRIT"] if i == culprit else [])
            for name in names:
                blob = git(root, "hash-object", "-w", "--stdin", input=f"{tag} {i}\n".encode())
                subprocess.run(
                    ["git", "update-index", "--add", "--cacheinfo", f"100644,{blob},{name}"],
                    cwd=root,
                    env=env,
                    check=True,
                )
            tree = subprocess.run(
                ["git", "write-tree"], cwd=root, env=env, check=True, capture_output=True, text=True
            ).stdout.strip()
        commit = git(root, "commit-tree", tree, "-p", base, "-m", f"request {tag} {i}")
        branch = f"bench/{tag}/{i:02d}"
        git(root, "update-ref", f"refs/heads/{branch}", commit)
        branches.append(branch)
    return branches


def run_queue(ctx: Any, branches: list[str], **settings: Any) -> dict[str, Any]:
    from bosun.mergequeue.processor import process
    from bosun.mergequeue.queue import MergeQueue

    ctx.config = ctx.config.with_overrides(**settings)
    with ctx.store.transaction() as tx:  # each scenario starts from a fresh window
        tx.run(
            "mt_set_window",
            target="main",
            window_size=int(ctx.config.get("merge_queue.batch_ceiling")),
        )
    first_event = ctx.events.last_id()
    ids = [MergeQueue(ctx).enqueue(b)[0].id for b in branches]
    start = time.perf_counter()
    [report] = process(ctx, "main")
    wall = time.perf_counter() - start
    gates = ctx.events.since(first_event, kind="merge.gate", limit=100_000)
    failed = ctx.events.since(first_event, kind="merge.failed", limit=100_000)
    isolated_after = len([g for g in gates if g.id < failed[0].id]) if failed else None
    return {
        "wall": wall,
        "report": report,
        "ids": ids,
        "gate_seconds": sum(g.data["seconds"] for g in gates),
        "isolated_after": isolated_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--overhead-requests", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="a small repository (CI)")
    args = parser.parse_args()
    if args.quick:
        args.commits, args.files, args.overhead_requests = 500, 200, 5
    os.environ.update(GIT_ENV)
    for var in ("BOSUN_HOME", "BOSUN_IDENTITY", "BOSUN_DATABASE_URL"):
        os.environ.pop(var, None)
    from bosun.core.context import open_project
    from bosun.core.project import init_project

    tmp = Path(tempfile.mkdtemp(prefix="bosun-mq-bench-"))
    try:
        root = tmp / "repo"
        t0 = time.perf_counter()
        generate(root, args.commits, args.files)
        gen_s = time.perf_counter() - t0
        count = int(git(root, "rev-list", "--count", "main"))
        nfiles = len(git(root, "ls-files").splitlines())
        init_project(root, env={})
        ctx = open_project(root, env={})
        try:
            # 1. per-request overhead, no gates: claim, rebase, record, CAS, settle, clean
            branches = make_requests(root, args.overhead_requests, None, "overhead")
            run_queue(ctx, make_requests(root, 1, None, "warmup"))  # scratch worktree
            over = run_queue(ctx, branches, merge_queue__gates=[], merge_queue__batch="1")
            per_request = (over["wall"] - over["gate_seconds"]) / len(branches)
            # 2. sixteen requests, 1 s gate, one culprit: batch=1 versus adaptive
            gate = {"merge_queue__gates": [CULPRIT_GATE]}
            seq = run_queue(ctx, make_requests(root, 16, 10, "seq"), merge_queue__batch="1", **gate)
            ada = run_queue(
                ctx,
                make_requests(root, 16, 10, "ada"),
                merge_queue__batch="adaptive",
                merge_queue__batch_ceiling=8,
                **gate,
            )
        finally:
            ctx.close()
    finally:
        subprocess.run(["git", "worktree", "prune"], cwd=tmp, capture_output=True, check=False)
        shutil.rmtree(tmp, ignore_errors=True)

    speedup = seq["wall"] / ada["wall"]
    rows = [
        [
            "batch = 1",
            seq["report"].gate_runs,
            seq["isolated_after"],
            len(seq["report"].merged),
            f"{seq['wall']:.1f}",
        ],
        [
            "adaptive (ceiling 8)",
            ada["report"].gate_runs,
            ada["isolated_after"],
            len(ada["report"].merged),
            f"{ada['wall']:.1f}",
        ],
    ]
    body = "\n\n".join(
        [
            f"Repository: {count} commits, {nfiles} files (fast-import: {gen_s:.1f} s).",
            f"**Per-request overhead** (no gates, {len(branches)} requests, batch = 1: claim, "
            f"rebase in the scratch worktree, record, compare-and-swap, settle, branch clean-up): "
            f"**{per_request * 1000:.0f} ms** per request (target < 500 ms).",
            "**16 requests, 1-second gate, one culprit (request 11):**",
            markdown_table(
                ["mode", "gate runs", "gate runs until culprit failed", "merged", "wall s"], rows
            ),
            f"Adaptive settles all 16 **{speedup:.1f}×** faster than one at a time "
            f"(target ≥ 2×); culprit isolated after {ada['isolated_after']} gate runs "
            "(target ≤ 9).",
        ]
    )
    print(body)
    isolated = ada["isolated_after"]
    summary = [
        Figure(
            f"per-request overhead ({count:,} commits, {nfiles:,} files)",
            per_request * 1000,
            "ms",
            "< 500",
        ),
        Figure(
            "gate runs until the culprit failed (adaptive, 16 requests)",
            float("nan") if isolated is None else float(isolated),
            "runs",
            "<= 9",
        ),
        Figure(
            "adaptive vs batch = 1, 16 requests settled (1 s gate)",
            speedup,
            "×",
            ">= 2",
            anchor=f"batch = 1: {seq['wall']:.1f} s; adaptive: {ada['wall']:.1f} s",
        ),
    ]
    command = "python bench/mergequeue_bench.py" + (" --quick" if args.quick else "")
    write_section("mergequeue", "Merge queue", command, body, summary=summary, quick=args.quick)


if __name__ == "__main__":
    main()
