"""Trigger queue benchmark: jobs/s and latency with 4 worker processes and no-op delivery,
on PostgreSQL (with procrastinate on the same server, same job and worker counts, as a ratio)
and on SQLite.

    .venv/bin/python bench/triggers_bench.py [--jobs 5000] [--workers 4] [--quick] [--no-write]

`--quick` (CI): 1,000 jobs and 50 latency jobs, the same 4 workers.

Throughput: N jobs are queued, then W worker processes drain them (claim batches of 32,
no-op processing, each batch completed in one transaction); jobs/s counts from the moment
every worker is registered until the last job is completed.
Latency: W idle workers (woken by LISTEN/NOTIFY on PostgreSQL, polling every 50 ms on
SQLite) and jobs enqueued one at a time; *enqueue→start* is from the commit of the enqueue
to the worker starting the job, *claim→start* from the claim to the start.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Figure, markdown_table, percentile, write_section  # noqa: E402

PG_BASE = os.environ.get("BOSUN_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


# -- worker process ---------------------------------------------------------------------------


def worker_main(dialect: str, location: str, mode: str) -> int:
    from bosun.triggers.queue import Lease, QueueConfig, TriggerQueue
    from bosun.triggers.worker import TriggerWorker, WorkerConfig, noop_batch

    store, beats = _open(dialect, location), _open(dialect, location)
    waiter = None
    if dialect == "postgres":
        from bosun.store.listener import Listener

        waiter = Listener(location)
    queue = TriggerQueue(store, QueueConfig())

    def one(lease: Lease, q: TriggerQueue) -> None:
        q.complete(lease, hop="noop", reason="noop", started_at=time.time())

    batch = mode == "throughput"
    worker = TriggerWorker(
        queue,
        one,
        WorkerConfig(
            claim_batch=32 if batch else 1, poll_interval=0.05, heartbeat=1.0, rescue_interval=5.0
        ),
        waiter=waiter,
        batch=noop_batch if batch else None,
        heartbeat_store=beats,
    )
    worker.install_signal_handlers()
    worker.run()
    store.close()
    beats.close()
    return 0


def _open(dialect: str, location: str) -> Any:
    if dialect == "sqlite":
        from bosun.store.sqlite import SqliteStore

        return SqliteStore(location)
    from bosun.store.postgres import PostgresStore

    return PostgresStore(location)


# -- driver -----------------------------------------------------------------------------------


def _spawn(dialect: str, location: str, mode: str, n: int) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen([sys.executable, __file__, "--worker", dialect, location, mode])
        for _ in range(n)
    ]


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def _fill(store: Any, n: int, prefix: str) -> None:
    from bosun.triggers.queue import TriggerQueue

    queue = TriggerQueue(store)
    with store.transaction() as tx:
        for i in range(n):
            queue.enqueue_in(
                tx,
                thread_id=f"th-{prefix}",
                role="bench",
                name=f"{prefix}{i}",
                requested_by="operator/bench",
                trace_id=f"{prefix}-{i}",
            )


def _running_workers(store: Any) -> int:
    from bosun.triggers.registry import WorkerRegistry

    return sum(1 for w in WorkerRegistry(store).list() if w.state == "running")


def _completed(store: Any) -> int:
    from bosun.triggers.queue import TriggerQueue

    return TriggerQueue(store).counts().get("completed", 0)


def bosun_run(
    dialect: str, location: str, jobs: int, workers: int, latency_jobs: int
) -> dict[str, float]:
    from bosun.triggers.queue import TriggerQueue

    store = _open(dialect, location)
    try:
        _fill(store, jobs, "t")
        procs = _spawn(dialect, location, "throughput", workers)
        try:
            _wait(lambda: _running_workers(store) >= workers, 120, "workers to register")
            start = time.perf_counter()
            _wait(lambda: _completed(store) >= jobs, 600, "the jobs to complete")
            elapsed = time.perf_counter() - start
        finally:
            _stop(procs)
        procs = _spawn(dialect, location, "latency", workers)
        queue = TriggerQueue(store)
        try:
            _wait(lambda: _running_workers(store) >= workers, 120, "workers to register")
            ids = []
            for i in range(latency_jobs):
                with store.transaction() as tx:
                    job, _ = queue.enqueue_in(
                        tx,
                        thread_id="th-l",
                        role="bench",
                        name=f"l{i}",
                        requested_by="operator/bench",
                        trace_id=f"l-{i}",
                    )
                ids.append(job.id)
                time.sleep(0.02)
            _wait(lambda: _completed(store) >= jobs + latency_jobs, 120, "latency jobs")
        finally:
            _stop(procs)
        enqueue_start, claim_start = [], []
        for job_id in ids:
            job = queue.get(job_id)
            [attempt] = queue.attempts(job_id)
            enqueue_start.append((attempt.started_at - job.created_at) * 1000)
            claim_start.append((attempt.started_at - (job.claimed_at or 0)) * 1000)
    finally:
        store.close()
    return {
        "jobs_per_s": jobs / elapsed,
        "seconds": elapsed,
        "p50": percentile(enqueue_start, 50),
        "p99": percentile(enqueue_start, 99),
        "claim_p50": percentile(claim_start, 50),
        "claim_p99": percentile(claim_start, 99),
    }


def procrastinate_run(url: str, jobs: int, workers: int) -> dict[str, float] | str:
    """procrastinate on the same server: the same no-op job count and worker count."""
    try:
        import procrastinate  # noqa: F401
    except ImportError:
        return "procrastinate not installed"
    with tempfile.TemporaryDirectory(prefix="bosun-bench-") as tmp:
        script = Path(tmp) / "pbench.py"
        app, runner = _PROCRASTINATE_APP.split("# -- runner --\n")
        (Path(tmp) / "pbench_app.py").write_text(app)  # not __main__, as procrastinate asks
        script.write_text("from pbench_app import *\n" + runner)
        return _procrastinate_drain(script, url, jobs, workers)


def _procrastinate_drain(script: Path, url: str, jobs: int, workers: int) -> dict[str, float] | str:
    env = {**os.environ, "BENCH_URL": url, "PYTHONPATH": str(script.parent)}
    subprocess.run([sys.executable, str(script), "setup", str(jobs)], env=env, check=True)
    start = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, str(script), "work", "0"], env=env)
        for _ in range(workers)
    ]
    for proc in procs:
        proc.wait(timeout=1800)
    wall = time.perf_counter() - start
    out = subprocess.run(
        [sys.executable, str(script), "count", "0"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    done, span = int(out[0]), float(out[1])
    if done < jobs:
        return f"procrastinate completed only {done} of {jobs} jobs"
    # from its first job started to its last job done, as bosun's figure starts once its
    # workers are up: the worker processes' start-up is not counted for either queue
    elapsed = span if span > 0 else wall
    return {"jobs_per_s": jobs / elapsed, "seconds": elapsed, "wall": wall}


_PROCRASTINATE_APP = """
import os, sys
import procrastinate
import psycopg

URL = os.environ["BENCH_URL"]
# procrastinate 3 workers need its async connector; deferring uses its sync side
app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=URL))

@app.task(name="noop", queue="bench")
def noop():
    pass

# -- runner --
if __name__ == "__main__":
    command, n = sys.argv[1], int(sys.argv[2])
    if command == "setup":
        with app.open():
            app.schema_manager.apply_schema()
            for _ in range(n):
                noop.defer()
    elif command == "work":
        app.run_worker(queues=["bench"], wait=False, concurrency=1, install_signal_handlers=False)
    else:
        with psycopg.connect(URL) as conn:
            done = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"
            ).fetchone()[0]
            span = conn.execute(
                "SELECT EXTRACT(EPOCH FROM max(at) FILTER (WHERE type = 'succeeded')"
                " - min(at) FILTER (WHERE type = 'started')) FROM procrastinate_events"
            ).fetchone()[0]
            print(done, float(span or 0))
"""


def _pg_schema() -> tuple[str, str]:
    import psycopg

    schema = f"bosun_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_BASE else "?"
    return schema, f"{PG_BASE}{sep}options=-csearch_path%3D{schema}"


def _drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def summary_figures(
    pg: dict[str, float], proc: dict[str, float] | str, lite: dict[str, float], workers: int
) -> list[Figure]:
    if isinstance(proc, str):
        anchor, ratio = f"procrastinate: {proc}", float("nan")
    else:
        anchor = f"procrastinate: {proc['jobs_per_s']:.0f} jobs/s"
        ratio = pg["jobs_per_s"] / proc["jobs_per_s"]
    return [
        Figure(
            f"jobs/s, PostgreSQL, {workers} workers",
            pg["jobs_per_s"],
            "jobs/s",
            anchor=anchor,
            ratio=None if isinstance(proc, str) else ratio,
        ),
        Figure("bosun vs procrastinate jobs/s, PostgreSQL", ratio, "×", ">= 10", anchor=anchor),
        Figure("claim → start p50, PostgreSQL", pg["claim_p50"], "ms", "< 20"),
        Figure("claim → start p99, PostgreSQL", pg["claim_p99"], "ms"),
        Figure("enqueue → start p50, PostgreSQL", pg["p50"], "ms"),
        Figure(f"jobs/s, SQLite, {workers} workers", lite["jobs_per_s"], "jobs/s", ">= 1000"),
        Figure("claim → start p50, SQLite", lite["claim_p50"], "ms"),
        Figure("claim → start p99, SQLite", lite["claim_p99"], "ms"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency-jobs", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1,000 jobs, 50 latency jobs (CI)")
    parser.add_argument("--worker", nargs=3, metavar=("DIALECT", "LOCATION", "MODE"))
    args = parser.parse_args()
    if args.worker:
        return worker_main(*args.worker)
    if args.quick:
        args.jobs, args.latency_jobs = 1000, 50
    rows: list[list[object]] = []
    notes: list[str] = []
    schema, url = _pg_schema()
    try:
        pg = bosun_run("postgres", url, args.jobs, args.workers, args.latency_jobs)
    finally:
        _drop(schema)
    pschema, purl = _pg_schema()
    try:
        proc = procrastinate_run(purl, args.jobs, args.workers)
    finally:
        _drop(pschema)
    with tempfile.TemporaryDirectory() as tmp:
        lite = bosun_run(
            "sqlite", str(Path(tmp) / "bench.db"), args.jobs, args.workers, args.latency_jobs
        )
    for name, r in (("bosun, PostgreSQL", pg), ("bosun, SQLite", lite)):
        rows.append(
            [
                name,
                f"{r['jobs_per_s']:.0f}",
                f"{r['p50']:.1f}",
                f"{r['p99']:.1f}",
                f"{r['claim_p50']:.2f}",
                f"{r['claim_p99']:.2f}",
            ]
        )
    if isinstance(proc, str):
        notes.append(f"procrastinate: {proc} (ratio not measured).")
    else:
        rows.insert(
            1, ["procrastinate, PostgreSQL", f"{proc['jobs_per_s']:.0f}", "-", "-", "-", "-"]
        )
        notes.append(
            f"bosun / procrastinate on PostgreSQL: "
            f"**{pg['jobs_per_s'] / proc['jobs_per_s']:.1f}×** (target ≥ 10×). procrastinate "
            f"{version('procrastinate')} is timed from its first job started to its last job "
            f"done ({proc['seconds']:.1f} s; {proc['wall']:.1f} s with its workers' start-up)."
        )
    notes.append(
        f"SQLite target ≥ 1,000 jobs/s: {'met' if lite['jobs_per_s'] >= 1000 else 'NOT met'}."
    )
    table = markdown_table(
        ["queue", "jobs/s", "enqueue→start p50 ms", "p99 ms", "claim→start p50 ms", "p99 ms"], rows
    )
    body = (
        f"{args.jobs} no-op jobs, {args.workers} worker processes; latency from "
        f"{args.latency_jobs} jobs enqueued one by one to idle workers.\n\n{table}\n\n"
        + "\n".join(f"- {n}" for n in notes)
    )
    print(body)
    if not args.no_write:
        command = "python bench/triggers_bench.py" + (" --quick" if args.quick else "")
        summary = summary_figures(pg, proc, lite, args.workers)
        write_section("triggers", "Trigger queue", command, body, summary=summary, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
