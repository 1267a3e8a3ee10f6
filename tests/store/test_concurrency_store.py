"""Many processes writing the same identities at once: no error, no lost update."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from store_contract import open_backend

from bosun.base.config import default_config
from bosun.core.context import Context
from bosun.core.hooks import MAX_HISTORY
from bosun.core.records import Phase

WORKERS = 8
OPS = 500
REFS = ("polecat/a", "polecat/b", "polecat/c")
HAMMER = Path(__file__).with_name("hammer.py")


@pytest.mark.slow
def test_eight_processes_of_mixed_updates_lose_nothing(
    backend: tuple[str, str], tmp_path: Path
) -> None:
    ctx = Context(store=open_backend(backend), config=default_config())  # the system clock
    try:
        _hammer(ctx, backend, tmp_path)
    finally:
        ctx.close()


def _hammer(ctx: Context, backend: tuple[str, str], tmp_path: Path) -> None:
    for ref in REFS:
        role, name = ref.split("/")
        ctx.identities.create(role, name)
        ctx.hooks.pin(role, name, ctx.work.create(f"work of {ref}").id)
        ctx.hooks.update_phase(role, name, Phase.EXECUTING)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, str(HAMMER), backend[0], backend[1], str(w), str(OPS), str(go), *REFS],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WORKERS)
    ]
    try:
        go.touch()
        outputs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()
    reports = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert [r["errors"] for r in reports] == [[]] * WORKERS
    calls: Counter[str] = Counter()
    for r in reports:
        calls.update(r["calls"])
    assert sum(calls.values()) == WORKERS * OPS

    for ref in REFS:
        role, name = ref.split("/")
        events = ctx.events.since(0, subject=ref, limit=100_000)
        by_kind: dict[str, list] = {}  # type: ignore[type-arg]
        for e in events:
            by_kind.setdefault(e.kind, []).append(e)
        # every committed update is one event: none was lost or doubled
        assert len(by_kind["hook.checkpoint"]) == calls[f"checkpoint {ref}"]
        assert len(by_kind["hook.resumption"]) == calls[f"resumption {ref}"]
        hook = ctx.hooks.get(role, name)
        # the phase history (a read-modify-write of one column) kept every change, up to
        # the newest MAX_HISTORY of them
        changes = [e.data["new"] for e in by_kind["hook.phase"]]
        full = ["assigned", *changes]
        assert len(hook.history) == min(MAX_HISTORY, len(full))
        assert [str(h.phase) for h in hook.history] == full[-MAX_HISTORY:]
        # the final state is the state the last event describes
        hook_events = [e for e in events if e.kind.startswith("hook.")]
        assert hook.updated_at == hook_events[-1].ts
        assert hook.phase == by_kind["hook.phase"][-1].data["new"]
        assert hook.checkpoint_note == by_kind["hook.checkpoint"][-1].data["note"]
        assert len(hook.resumption or "") == by_kind["hook.resumption"][-1].data["chars"]
        # timestamps follow commit order, so the newest heartbeat is the one that stays
        newest = max(r["last_seen"].get(ref, 0.0) for r in reports)
        assert ctx.identities.get(role, name).last_seen == newest
        ids = [e.id for e in hook_events]
        assert ids == sorted(ids)
        assert [e.ts for e in hook_events] == sorted(e.ts for e in hook_events)
