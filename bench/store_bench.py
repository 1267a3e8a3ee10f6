"""Store benchmark: heartbeats/s and hook updates/s in process on SQLite and PostgreSQL,
`find_stale` over 10,000 identities, and `bosun identity heartbeat` as a whole process.

    .venv/bin/python bench/store_bench.py [--quick]

Prints a table and writes the `store` section of docs/benchmarks.md.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Figure, markdown_table, median, write_section  # noqa: E402

from bosun.base.config import default_config  # noqa: E402
from bosun.core.context import Context  # noqa: E402

PG_URL = os.environ.get("BOSUN_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TARGET_RATE = 2000.0
TARGET_STALE_MS = 50.0
TARGET_CLI_MS = 150.0


@contextmanager
def sqlite_store() -> Iterator[Any]:
    from bosun.store.sqlite import SqliteStore

    directory = tempfile.mkdtemp(prefix="bosun-bench-")
    store = SqliteStore(Path(directory) / "bosun.db")
    try:
        yield store
    finally:
        store.close()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def postgres_store() -> Iterator[Any]:
    import psycopg

    from bosun.store.postgres import PostgresStore

    schema = f"bosun_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    store = PostgresStore(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def rate(action: Callable[[int], object], n: int, rounds: int = 5) -> float:
    """Operations per second: the median over `rounds` rounds of `n` calls."""
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(n):
            action(i)
        rates.append(n / (time.perf_counter() - start))
    return median(rates)


def in_process(store: Any, n: int, agents: int = 50) -> dict[str, float]:
    """Hook updates go round `agents` identities, each with its own pinned work item, so a
    hook's phase history stays as short as real work keeps it."""
    ctx = Context(store=store, config=default_config())
    names = [f"a{i:02d}" for i in range(agents)]
    for name in names:
        ctx.identities.create("polecat", name)
        ctx.hooks.pin("polecat", name, ctx.work.create(f"bench {name}").id)
        ctx.hooks.update_phase("polecat", name, "executing")
    phases = ("blocked", "executing")

    def hook_update(i: int) -> object:
        name, step = names[i % agents], i % 3
        if step == 0:
            return ctx.hooks.checkpoint("polecat", name, f"note {i}")
        if step == 1:
            return ctx.hooks.update_resumption("polecat", name, f"resume at {i}")
        return ctx.hooks.update_phase("polecat", name, phases[i // agents % 2])

    return {
        "heartbeat": rate(lambda i: ctx.identities.heartbeat("polecat", names[i % agents]), n),
        "hook": rate(hook_update, n),
        "stale_ms": find_stale_ms(ctx),
    }


def find_stale_ms(ctx: Context, total: int = 10_000, stale: int = 100) -> float:
    """Median ms of find_stale over `total` identities of which `stale` are stale."""
    now = time.time()
    with ctx.store.transaction() as tx:
        for i in range(total):
            tx.run(
                "identity_insert",
                role="bench",
                name=f"n{i:05d}",
                session_id=None,
                runtime="sim",
                worktree=None,
                initiative=None,
                host=None,
                pid=None,
                crew=0,
                now=now - (3600 if i < stale else 0),
            )
    found = ctx.identities.find_stale(300)
    assert len(found) == stale, len(found)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        ctx.identities.find_stale(300)
        times.append((time.perf_counter() - start) * 1000)
    return median(times)


def cli_heartbeat(runs: int) -> tuple[float, float]:
    """Median wall ms of `bosun identity heartbeat` and of `python -c pass`, same run."""
    bosun = shutil.which("bosun", path=str(Path(sys.executable).parent)) or "bosun"
    repo = Path(tempfile.mkdtemp(prefix="bosun-bench-cli-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOSUN_")}
    try:
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run([bosun, "init"], cwd=repo, env=env, check=True, capture_output=True)
        subprocess.run(
            [bosun, "identity", "create", "polecat", "toast"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
        )

        def wall(cmd: list[str]) -> float:
            start = time.perf_counter()
            subprocess.run(cmd, cwd=repo, env=env, check=True, capture_output=True)
            return (time.perf_counter() - start) * 1000

        heartbeat, python = [], []
        for _ in range(runs):  # interleaved, so both see the same machine load
            heartbeat.append(wall([bosun, "identity", "heartbeat", "polecat", "toast"]))
            python.append(wall([sys.executable, "-c", "pass"]))
        return median(heartbeat), median(python)
    finally:
        shutil.rmtree(repo, ignore_errors=True)


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main() -> int:
    quick = "--quick" in sys.argv
    n = 300 if quick else 1000
    results = {}
    with sqlite_store() as store:
        results["SQLite"] = in_process(store, n)
    with postgres_store() as store:
        results["PostgreSQL"] = in_process(store, n)
    runs = 5 if quick else 25
    cli_ms, python_ms = cli_heartbeat(runs)

    rows: list[list[object]] = []
    for backend, r in results.items():
        rows += [
            [
                f"heartbeats/s, in process, {backend}",
                f"{r['heartbeat']:,.0f}",
                f">= {TARGET_RATE:,.0f}",
                verdict(r["heartbeat"] >= TARGET_RATE),
            ],
            [
                f"hook updates/s, in process, {backend}",
                f"{r['hook']:,.0f}",
                f">= {TARGET_RATE:,.0f}",
                verdict(r["hook"] >= TARGET_RATE),
            ],
            [
                f"find_stale over 10,000 identities (100 stale), {backend}",
                f"{r['stale_ms']:.1f} ms",
                f"< {TARGET_STALE_MS:.0f} ms",
                verdict(r["stale_ms"] < TARGET_STALE_MS),
            ],
        ]
    rows += [
        [
            "`bosun identity heartbeat` (SQLite), median wall time",
            f"{cli_ms:.0f} ms",
            f"< {TARGET_CLI_MS:.0f} ms",
            verdict(cli_ms < TARGET_CLI_MS),
        ],
        ["`python -c pass`, median wall time, same run", f"{python_ms:.0f} ms", "", ""],
        ["ratio heartbeat / python startup", f"{cli_ms / python_ms:.1f}x", "", ""],
    ]
    table = markdown_table(["measure", "result", "target", "met"], rows)
    notes = (
        f"In process: the median of 5 rounds of {n} calls through the core services "
        "(`ctx.identities.heartbeat`, and hook updates cycling checkpoint / resumption / "
        "phase change over 50 pinned identities), one process, one connection. Hook "
        "updates are state transitions: each is one transaction with its event, committed "
        "durably (on PostgreSQL that waits for the WAL flush). Whole process: the median of "
        f"{runs} runs in a fresh project, interleaved with `python -c pass`."
    )
    print(table)
    command = "python bench/store_bench.py" + (" --quick" if quick else "")
    summary = [
        Figure(
            "`bosun identity heartbeat` as a process, median",
            cli_ms,
            "ms",
            f"< {TARGET_CLI_MS:g}",
            anchor=f"`python3 -c pass`: {python_ms:.0f} ms",
            ratio=cli_ms / python_ms,
        )
    ]
    for backend, r in results.items():
        summary += [
            Figure(
                f"heartbeats/s in process, {backend}", r["heartbeat"], "/s", f">= {TARGET_RATE:g}"
            ),
            Figure(f"hook updates/s in process, {backend}", r["hook"], "/s", f">= {TARGET_RATE:g}"),
            Figure(
                f"find_stale over 10,000 identities, {backend}",
                r["stale_ms"],
                "ms",
                f"< {TARGET_STALE_MS:g}",
            ),
        ]
    write_section("store", "Store", command, table + "\n\n" + notes, summary=summary, quick=quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
