"""How `bosun run status` reads as text, and `--follow`'s progress lines."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bosun.cli.output import escape_controls


def render_status(d: dict[str, Any]) -> str:
    keys = (
        "run_id",
        "status",
        "logs_root",
        "pid",
        "graph",
        "started_at",
        "finished_at",
        "current_node",
        "next_node",
        "restart_count",
        "failure_reason",
    )
    lines = [f"{k}: {'' if d.get(k) is None else d.get(k)}" for k in keys]
    lines.append("completed: " + " ".join(d.get("completed_nodes") or []))
    gate = d.get("waiting_for_human")
    if gate:
        lines.append(f"waiting for a person at {gate.get('node_id')}: {gate.get('question')}")
        gate_keys = gate.get("keys") or [""] * len(gate.get("choices") or [])
        for key, label in zip(gate_keys, gate.get("choices") or [], strict=False):
            lines.append(f"  [{key}] {label}" if key else f"  {label}")
        lines.append(f"  answer: bosun run answer {d.get('run_id')} {gate.get('node_id')} CHOICE")
    if d.get("last_event"):
        lines.append(f"last event: {d['last_event'].get('event')} at {d['last_event'].get('ts')}")
    return "\n".join(lines)


def follow_progress(base: Path, as_json: bool) -> None:
    from bosun.pipeline.rundir import read_final  # lazy: CLI start-up time
    from bosun.pipeline.runs import run_status  # lazy: CLI start-up time

    offsets: dict[Path, int] = {}
    while True:
        done = read_final(base) is not None
        current = Path(run_status(base).get("logs_root") or base)
        for path in sorted({base / "progress.ndjson", *current.glob("restart-*/progress.ndjson")}):
            if not path.exists():
                continue
            with open(path, encoding="utf-8") as fh:
                fh.seek(offsets.get(path, 0))
                chunk = fh.read()
                offsets[path] = fh.tell()
            for line in chunk.splitlines():
                if as_json:
                    sys.stdout.write(line + "\n")
                else:
                    ev = json.loads(line)
                    extra = ev.get("node_id") or ev.get("to") or ev.get("status") or ""
                    text = f"{ev.get('ts')} {ev.get('event')} {extra}"
                    sys.stdout.write(escape_controls(text) + "\n")
            sys.stdout.flush()
        if done:
            return
        time.sleep(0.2)
