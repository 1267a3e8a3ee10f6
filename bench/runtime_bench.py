"""Runtime benchmark: the sim agent in real tmux, driven by bosun's tmux driver.

    .venv/bin/python bench/runtime_bench.py [--spawns 10] [--sends 500] [--quick]

Measures spawn → ready latency, send → acknowledged latency (the prompt log line written by
the sim agent), bosun's own memory per supervised session, and the delivery success rate
with the sim agent's swallow-Enter fault on (every message must arrive exactly once).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Figure, markdown_table, median, percentile, write_section  # noqa: E402

from bosun.runtime.env import session_environment  # noqa: E402
from bosun.runtime.presets import get_preset  # noqa: E402
from bosun.runtime.protocol import LaunchSpec  # noqa: E402
from bosun.runtime.readiness import wait_until_ready  # noqa: E402
from bosun.runtime.tmux import TmuxRuntime  # noqa: E402


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _spec(tmp: Path, name: str, faults: dict[str, object]) -> LaunchSpec:
    preset = get_preset("sim")
    extra = {
        "BOSUN_SIM_PROMPT_LOG": str(tmp / f"{name}.jsonl"),
        "BOSUN_SIM_TRANSCRIPT": str(tmp / f"{name}.log"),
        "BOSUN_SIM_STATE": str(tmp / f"{name}.state.json"),
        "BOSUN_SIM_FAULTS": json.dumps(faults),
    }
    return LaunchSpec(
        "bench",
        name,
        tuple(preset.launch_argv()),
        tmp,
        session_environment(os.environ, extra),
        preset.screen,
        preset="sim",
    )


def _count(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["text"] for line in path.read_text().splitlines()]


def run(spawns: int, sends: int) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="bosun-bench-"))
    runtime = TmuxRuntime(
        f"bosun-bench-{secrets.token_hex(3)}", spec_dir=tmp / "spec", lock_dir=tmp / "locks"
    )
    try:
        spawn_times = []
        rss_before = _rss_kb(os.getpid())
        handles = []
        for i in range(spawns):
            started = time.monotonic()
            handle = runtime.launch(_spec(tmp, f"s{i}", {}))
            wait_until_ready(runtime, handle, timeout=60)
            spawn_times.append(time.monotonic() - started)
            handles.append(handle)
        rss_after = _rss_kb(os.getpid())
        server_pid = int(runtime.tmux.run("display-message", "-p", "#{pid}").strip())
        server_rss = _rss_kb(server_pid)
        agent_rss = median([_rss_kb(h.pid) for h in handles if h.pid])
        for handle in handles:
            runtime.stop(handle, grace=2)

        handle = runtime.launch(_spec(tmp, "sender", {"swallow_enter": True}))
        wait_until_ready(runtime, handle, timeout=60)
        log = tmp / "sender.jsonl"
        latencies, presses, failures, texts = [], 0, 0, []
        for i in range(sends):
            text = f"message {i}: check the build" if i % 3 else f"step {i}\n- one\n- two {i}"
            texts.append(text)
            started = time.monotonic()
            try:
                delivery = runtime.send(handle, text)
                presses += delivery.enter_presses - 1
            except Exception:  # noqa: BLE001 - counted as a failed delivery
                failures += 1
                continue
            deadline = time.monotonic() + 30
            while len(_count(log)) <= i - failures and time.monotonic() < deadline:
                time.sleep(0.005)
            latencies.append(time.monotonic() - started)
        time.sleep(1.0)
        received = _count(log)
        exact = received == texts
        return {
            "spawns": spawns,
            "spawn_p50": median(spawn_times),
            "spawn_max": max(spawn_times),
            "sends": sends,
            "ack_p50": percentile(latencies, 50),
            "ack_p99": percentile(latencies, 99),
            "re_presses": presses,
            "failures": failures,
            "exactly_once": exact,
            "success_rate": 100.0
            * sum(1 for a, b in zip(received, texts, strict=False) if a == b)
            / sends,
            "bosun_kb_per_session": (rss_after - rss_before) / spawns,
            "tmux_server_kb_per_session": server_rss / spawns,
            "sim_agent_kb": agent_rss,
            "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
    finally:
        runtime.kill_server()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spawns", type=int, default=10)
    parser.add_argument("--sends", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="3 spawns, 60 sends (CI)")
    args = parser.parse_args()
    if args.quick:
        args.spawns, args.sends = 3, 60
    r = run(args.spawns, args.sends)
    rows = [
        ["spawn → ready (sim preset), p50", f"{r['spawn_p50']:.2f} s", "< 1 s"],
        ["spawn → ready, max", f"{r['spawn_max']:.2f} s", ""],
        ["send → acknowledged, p50", f"{r['ack_p50'] * 1000:.0f} ms", ""],
        ["send → acknowledged, p99", f"{r['ack_p99'] * 1000:.0f} ms", ""],
        [
            f"delivery with swallow-Enter fault ({r['sends']} sends)",
            f"{r['success_rate']:.1f} % (exactly once: {r['exactly_once']}, "
            f"failures {r['failures']}, extra Enter presses {r['re_presses']})",
            "100 %",
        ],
        [
            "bosun memory per supervised session (driver process RSS growth)",
            f"{r['bosun_kb_per_session']:.0f} KiB",
            "",
        ],
        ["tmux server RSS per session", f"{r['tmux_server_kb_per_session']:.0f} KiB", ""],
        ["sim agent process RSS (median)", f"{r['sim_agent_kb']:.0f} KiB", ""],
    ]
    table = markdown_table(["measure", "result", "target"], rows)
    print(table)
    exact = bool(r["exactly_once"]) and r["failures"] == 0
    summary = [
        Figure(f"spawn → ready p50 ({r['spawns']} spawns)", r["spawn_p50"], "s", "< 1"),
        Figure("send → acknowledged p50", r["ack_p50"] * 1000, "ms"),
        Figure("send → acknowledged p99", r["ack_p99"] * 1000, "ms"),
        Figure(
            f"delivered exactly once with swallow-Enter ({r['sends']} sends)",
            r["success_rate"],
            "%",
            ">= 100",
            met=exact and r["success_rate"] >= 100,
        ),
        Figure("bosun memory per supervised session", r["bosun_kb_per_session"], "KiB"),
        Figure("tmux server memory per session", r["tmux_server_kb_per_session"], "KiB"),
    ]
    command = "python bench/runtime_bench.py" + (
        " --quick" if args.quick else f" --spawns {args.spawns} --sends {args.sends}"
    )
    write_section(
        "runtime",
        "Runtime: tmux driver with the sim agent",
        command,
        table,
        summary=summary,
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
