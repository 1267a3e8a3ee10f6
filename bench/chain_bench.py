"""Layered chain benchmark: wall time of the two-node E2E pipeline (agent node → validation
tool node, launched with `bosun run --detach`, real tmux, the sim agent) and of the variant
whose orchestrator is SIGKILLed mid-node and respawned by `bosun supervise`; and the share
of that time that is bosun's own overhead — everything but the sim agent's scripted work
(its `work` steps) and the gate (the validation node).

Run: .venv/bin/python bench/chain_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "chain"))

from _common import Figure, markdown_table, median, write_section  # noqa: E402
from chainrig import (  # noqa: E402
    ChainRig,
    make_rig,
    report_steps,
    task_block,
    two_node_graph,
    wait_until,
)

from bosun.chain.names import orchestrator_ref  # noqa: E402
from gitrepo import GIT_ENV, make_repo  # noqa: E402

WORK = 2.0  # seconds of scripted work in the agent's task
HELLO = "hello from the orchestrator"


def steps() -> list[dict[str, Any]]:
    return [
        {"write": {"path": "hello.txt", "content": HELLO + "\n"}},
        {"commit": "add hello.txt"},
        {"work": WORK},
        *report_steps({"outcome": "success"}),
    ]


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def gate_seconds(logs_root: Path) -> float:
    """How long the validation node ran (from progress.ndjson)."""
    start = end = 0.0
    for line in (logs_root / "progress.ndjson").read_text().splitlines():
        event = json.loads(line)
        if event.get("node_id") == "check" and event["event"] == "stage_attempt_start":
            start = _ts(event["ts"])
        if event.get("node_id") == "check" and event["event"] == "stage_attempt_end":
            end = _ts(event["ts"])
    return max(0.0, end - start)


def one_run(kill: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bosun-chain-bench-") as tmp:
        from bosun.core.project import init_project

        repo = make_repo(Path(tmp) / "repo")
        init_project(repo, env={})
        rig: ChainRig = make_rig(repo, f"bosun-bench-{secrets.token_hex(4)}")
        try:
            if kill:
                rig.supervise()
            graph = rig.graph(two_node_graph(task_block(steps()), f'grep -q "{HELLO}" hello.txt'))
            t0 = time.monotonic()
            launched = rig.launch(graph)
            if kill:
                _kill_mid_node(rig, orchestrator_ref(launched["run_id"], "impl"))
            final = rig.wait_final(launched["logs_root"], timeout=120)
            wall = time.monotonic() - t0
            assert final["status"] == "success", final
            gate = gate_seconds(Path(launched["logs_root"]))
            return {"wall": wall, "work": WORK, "gate": gate, "overhead": wall - WORK - gate}
        finally:
            rig.close()


def _kill_mid_node(rig: ChainRig, orchestrator: str) -> None:
    def committed() -> Any:
        hook = rig.hook(orchestrator) if rig.identity(orchestrator) else None
        session = rig.session(orchestrator)
        ok = hook is not None and "sim:step=2/" in (hook.checkpoint_note or "")
        return session if ok and session is not None and session.live else None

    session = wait_until(committed, 60, "the orchestrator's commit")
    os.kill(session.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run of each (for CI)")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    os.environ.update(GIT_ENV)
    for var in ("BOSUN_IDENTITY", "BOSUN_HOME", "TMUX", "CLAUDECODE"):
        os.environ.pop(var, None)
    rows = []
    figures: list[Figure] = []
    for label, kill in (("two-node pipeline", False), ("orchestrator killed mid-node", True)):
        results = [one_run(kill) for _ in range(args.runs)]
        wall = median([r["wall"] for r in results])
        gate = median([r["gate"] for r in results])
        overhead = median([r["overhead"] for r in results])
        rows.append(
            [
                label,
                f"{wall:.2f} s",
                f"{WORK:.2f} s",
                f"{gate:.3f} s",
                f"{overhead:.2f} s",
                f"{100 * overhead / wall:.0f} %",
            ]
        )
        figures.append(
            Figure(
                f"{label}: wall time (median of {args.runs})",
                wall,
                "s",
                "< 60",
                anchor=f"bosun overhead {overhead:.2f} s",
                ratio=overhead / wall,
            )
        )
        print(f"{label}: wall {wall:.2f}s, overhead {overhead:.2f}s ({100 * overhead / wall:.0f}%)")
    body = (
        f"Median of {args.runs} runs each. Wall time runs from `bosun run --detach` to the "
        "run's final.json. Scripted work is the sim agent's `work` step; the gate is the "
        "validation tool node. Overhead is the rest: the launcher, the guardian, the runner "
        "process, the tmux session start, the sim agent's own `bosun` calls per step "
        "(checkpoint, heartbeat, signals), the merge queue (rebase and landing, no gate "
        "commands configured), stopping the session and the worktree cleanup; in the kill "
        "variant also the supervisor's detection and seance restart.\n\n"
        + markdown_table(
            ["scenario", "wall", "scripted work", "gate", "bosun overhead", "overhead share"],
            rows,
        )
    )
    write_section(
        "chain",
        "Layered chain (E2E)",
        "python bench/chain_bench.py",
        body,
        summary=figures,
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
