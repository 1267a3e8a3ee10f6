"""Run every benchmark and regenerate docs/benchmarks.md as one report.

    .venv/bin/python bench/run_all.py                 # the real figures (about half an hour)
    .venv/bin/python bench/run_all.py --quick         # CI: reduced sizes, a few minutes
    .venv/bin/python bench/run_all.py --only store,pipeline

Every `bench/*_bench.py` that takes `--quick` and reports summary figures
(`write_section(..., summary=[...])`) runs as its own process, one after the other, with a
timeout. A benchmark that fails or times out is shown as such in the report (its section
holds the end of its output) and makes this command exit 1. Benchmarks without that
interface are listed as not included; their own sections are kept.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    OUT_ENV,
    ROOT,
    RUN_ID_ENV,
    Entry,
    load_data,
    machine_line,
    ordered,
    regenerate,
    report_path,
    save_data,
)

BENCH_DIR = Path(__file__).resolve().parent
TIMEOUT_QUICK = 240.0
TIMEOUT_FULL = 2400.0
INTERRUPT_GRACE = 20.0
TAIL_LINES = 25


@dataclass(frozen=True)
class Bench:
    name: str  # the section name it writes
    path: Path

    def argv(self, quick: bool) -> list[str]:
        return [sys.executable, str(self.path), *(["--quick"] if quick else [])]

    def command(self, quick: bool) -> str:
        return f"python bench/{self.path.name}" + (" --quick" if quick else "")


def inspect(path: Path) -> tuple[str, str | None]:
    """(section name, reason it cannot be included or None), read from the source: a call
    `write_section("name", ..., summary=...)` and a `--quick` option."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name, summary = path.stem.removesuffix("_bench"), False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "write_section":
            if node.args and isinstance(node.args[0], ast.Constant):
                name = str(node.args[0].value)
            summary = summary or any(k.arg == "summary" for k in node.keywords)
    quick = any(isinstance(n, ast.Constant) and n.value == "--quick" for n in ast.walk(tree))
    missing = [what for what, ok in (("summary figures", summary), ("--quick", quick)) if not ok]
    return name, ("no " + " and no ".join(missing) + " yet") if missing else None


def discover(directory: Path | None = None) -> tuple[list[Bench], dict[str, str]]:
    included, excluded = [], {}
    for path in sorted((directory or BENCH_DIR).glob("*_bench.py")):
        name, reason = inspect(path)
        if reason is None:
            included.append(Bench(name, path))
        else:
            excluded[name] = f"{path.name}: {reason}"
    rank = {n: i for i, n in enumerate(ordered(b.name for b in included))}
    return sorted(included, key=lambda b: rank[b.name]), excluded


def run_one(bench: Bench, quick: bool, timeout: float, run_id: str) -> tuple[str, float, str]:
    """Run one benchmark in its own process group: (status, seconds, end of its output)."""
    env = {**os.environ, RUN_ID_ENV: run_id, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile("w+") as log:
        started = time.monotonic()
        proc = subprocess.Popen(
            bench.argv(quick),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=timeout)
            status = "ok" if code == 0 else "failed"
        except subprocess.TimeoutExpired:
            _stop_group(proc)
            code, status = None, "timed out"
        except KeyboardInterrupt:  # its own session does not get the terminal's Ctrl-C
            _stop_group(proc)
            raise
        seconds = time.monotonic() - started
        log.seek(0)
        tail = "\n".join(log.read().splitlines()[-TAIL_LINES:])
    if status == "failed":
        tail += f"\n(exit code {code})"
    return status, seconds, tail


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT first so the benchmark's `finally` blocks clean up (tmux servers, schemas,
    worker processes), then SIGKILL whatever is left of its process group."""
    for sig, grace in ((signal.SIGINT, INTERRUPT_GRACE), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)


def record(bench: Bench, quick: bool, run_id: str, status: str, seconds: float, tail: str) -> str:
    """Store the outcome in docs/benchmarks.json; return the final status."""
    data = load_data()
    entry = data["benchmarks"].get(bench.name)
    if status == "ok" and (entry is None or entry.get("run_id") != run_id):
        status, tail = "failed", tail + "\n(exited 0 without reporting its figures)"
    if status == "ok":
        entry["seconds"] = round(seconds, 1)
    else:
        base = entry or asdict(Entry(title=bench.name, command=bench.command(quick)))
        entry = {
            **base,
            "status": status,
            "command": bench.command(quick),
            "quick": quick,
            "error": tail,
            "seconds": round(seconds, 1),
            "run_id": run_id,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    data["benchmarks"][bench.name] = entry
    save_data(data)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes, for CI")
    parser.add_argument("--only", help="comma-separated benchmark names (default: all)")
    parser.add_argument("--timeout", type=float, help="seconds per benchmark")
    parser.add_argument("--bench-dir", type=Path, help=argparse.SUPPRESS)  # for tests
    parser.add_argument("--out", type=Path, help="write the report here instead of docs/")
    args = parser.parse_args(argv)
    if args.out:  # the benchmarks inherit it
        args.out.mkdir(parents=True, exist_ok=True)
        os.environ[OUT_ENV] = str(args.out.resolve())
    timeout = args.timeout or (TIMEOUT_QUICK if args.quick else TIMEOUT_FULL)
    benches, excluded = discover(args.bench_dir)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {b.name for b in benches}
        if unknown:
            known = ", ".join(b.name for b in benches)
            print(f"error: unknown benchmark {', '.join(sorted(unknown))}; known: {known}")
            return 2
        benches = [b for b in benches if b.name in wanted]
    run_id, load_start, started = secrets.token_hex(6), os.getloadavg()[0], time.monotonic()
    mode = "quick" if args.quick else "full"
    print(
        f"{len(benches)} benchmarks ({mode}), timeout {timeout:.0f} s each; load {load_start:.1f}"
    )
    for name, reason in excluded.items():
        print(f"  not included: {name} ({reason})")
    failed = []
    for bench in benches:
        print(f"  {bench.name:<12} ...", end="", flush=True)
        status, seconds, tail = run_one(bench, args.quick, timeout, run_id)
        status = record(bench, args.quick, run_id, status, seconds, tail)
        print(f" {status} ({seconds:.0f} s)")
        if status != "ok":
            failed.append(bench.name)
            print("\n".join("      " + line for line in tail.splitlines()))
    data = load_data()
    if args.only:  # a partial run: the header keeps describing the last complete one
        regenerate(data)
        return 1 if failed else 0
    data["run_all"] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "quick": args.quick,
        "seconds": round(time.monotonic() - started, 1),
        "machine": machine_line(),
        "load": [round(load_start, 1), round(os.getloadavg()[0], 1)],
        "not_included": excluded,
    }
    save_data(data)
    regenerate(data)
    total = time.monotonic() - started
    print(f"{report_path()} regenerated in {total:.0f} s; failed: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
