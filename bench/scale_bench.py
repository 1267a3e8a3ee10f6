"""Supervisor observation cost vs fleet size: the per-agent way against the batch way.

    .venv/bin/python bench/scale_bench.py            # 10, 50, 100, 200 and 500 idle panes
    .venv/bin/python bench/scale_bench.py --quick    # 10 and 50

A partial stand-in for issue 21's scale benchmark: it measures the part of a supervisor
tick that grows with the fleet, on a real tmux server (its own -L socket) with N idle
sessions, both ways in the same run:

- per agent (the code before issue 21): every agent re-reads the preset files, asks tmux
  for its liveness, and captures its pane;
- batch (now): presets come from the cache, one `tmux list-panes -a` observes every pane,
  and a pane is captured only when its activity stamp moved (never, for idle panes).

It does not yet measure kill -9 → primed restart latency or simultaneous crashes (that
needs the whole supervisor against the parent commit in a temporary worktree; see the
report of the issue-21 branch). Compare the ratio, not the absolute figures, on a loaded
machine.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Figure, markdown_table, median, write_section  # noqa: E402

from bosun.runtime.presets import forget_presets, get_preset  # noqa: E402
from bosun.runtime.protocol import LaunchSpec, SessionHandle, observe_all  # noqa: E402
from bosun.runtime.tmux import TmuxRuntime  # noqa: E402

IDLE = (sys.executable, "-c", "import time; print('idle'); time.sleep(10**6)")
TICK_INTERVAL = 2.0  # seconds; a supervisor tick's cost over this is its share of a core


def per_agent_tick(runtime: TmuxRuntime, handles: list[SessionHandle]) -> None:
    for handle in handles:
        forget_presets()  # the old code parsed every preset file on every call
        get_preset("sim")
        runtime.liveness(handle)
        runtime.capture(handle, 60)


def batch_tick(runtime: TmuxRuntime, handles: list[SessionHandle], seen: dict) -> None:
    observed = observe_all(runtime, handles)
    for handle in handles:
        get_preset("sim")
        activity = observed[handle].activity
        if activity is None or seen.get(handle) != activity:
            runtime.capture(handle, 60)
            seen[handle] = activity


def measure(size: int, ticks: int) -> dict[str, float]:
    socket = f"bosun-scale-{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory() as tmp:
        runtime = TmuxRuntime(socket, spec_dir=Path(tmp) / "spec", lock_dir=Path(tmp) / "lock")
        try:
            handles = [
                runtime.launch(
                    LaunchSpec(role="bench", name=f"a{i}", argv=IDLE, cwd=Path(tmp), env={})
                )
                for i in range(size)
            ]
            time.sleep(1.5)  # let every pane draw, so its activity stamp settles
            result = {}
            for name, tick in (
                ("per_agent", lambda: per_agent_tick(runtime, handles)),
                ("batch", lambda seen={}: batch_tick(runtime, handles, seen)),  # noqa: B008
            ):
                tick()  # warm up (the batch way captures each pane once)
                walls = []
                for _ in range(ticks):
                    start = time.perf_counter()
                    tick()
                    walls.append(time.perf_counter() - start)
                result[name] = median(walls) * 1000
            return result
        finally:
            runtime.kill_server()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10 and 50 panes (CI)")
    parser.add_argument("--ticks", type=int, default=5)
    args = parser.parse_args()
    # run_all stops a benchmark with SIGTERM: unwind, so every tmux server is killed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes = (10, 50) if args.quick else (10, 50, 100, 200, 500)
    rows = []
    results = {}
    for size in sizes:
        r = measure(size, args.ticks)
        results[size] = r
        rows.append(
            [
                str(size),
                f"{r['per_agent']:.0f}",
                f"{r['batch']:.0f}",
                f"{r['per_agent'] / max(r['batch'], 1e-6):.1f}x",
                f"{100 * r['batch'] / 1000 / TICK_INTERVAL:.1f}",
            ]
        )
        print(rows[-1], flush=True)
    table = markdown_table(
        [
            "idle agents",
            "per-agent tick (ms)",
            "batch tick (ms)",
            "speed-up",
            f"batch share of a core at a {TICK_INTERVAL:.0f} s tick (%)",
        ],
        rows,
    )
    largest = sizes[-1]
    summary = [
        Figure(
            f"observation tick at {largest} idle agents (batch)",
            round(results[largest]["batch"], 1),
            "ms",
            anchor=f"per agent: {results[largest]['per_agent']:.0f} ms",
            ratio=round(results[largest]["per_agent"] / max(results[largest]["batch"], 1e-6), 1),
        ),
    ]
    write_section(
        "scale",
        "Supervisor observation cost vs fleet size",
        "python bench/scale_bench.py" + (" --quick" if args.quick else ""),
        table,
        summary=summary,
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
