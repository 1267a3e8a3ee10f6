"""What a dead processor leaves running: its gates' process groups.

Each gate runs in its own process group, written down (`merge.gate_group_started`) before
it is waited on and closed (`merge.gate_group_ended`) once reaped. A processor that takes
over a target first ends every group still open whose processor is proven dead (same host,
no such pid) and whose members still run inside the queue's scratch tree — positive
evidence on both counts, since a kill is destructive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.mergequeue.lease import holder_is_dead

if TYPE_CHECKING:
    from bosun.core.context import Context

STARTED = "merge.gate_group_started"
ENDED = "merge.gate_group_ended"
_SCAN = 200
KILL_GRACE_S = 2.0


class GateGroups:
    """The processor's GroupRecorder: one event per gate group start and end."""

    def __init__(self, ctx: Context, target: str, holder: str, scratch: Path) -> None:
        self.ctx, self.target, self.holder, self.scratch = ctx, target, holder, scratch

    def started(self, pgid: int, command: str) -> None:
        self._emit(STARTED, {"pgid": pgid, "command": command, "cwd": str(self.scratch)})

    def ended(self, pgid: int) -> None:
        self._emit(ENDED, {"pgid": pgid, "how": "reaped by its processor"})

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        with self.ctx.store.transaction() as tx:
            tx.emit(kind, self.target, {"holder": self.holder, **data})


def open_groups(ctx: Context, target: str) -> list[dict[str, Any]]:
    """Gate groups of `target` recorded as started and never recorded as ended."""
    events = ctx.events.tail(_SCAN, kind="merge.gate_group_*", subject=target)
    live: dict[tuple[str, int], dict[str, Any]] = {}
    for event in events:  # oldest first
        key = (str(event.data.get("holder")), int(event.data.get("pgid", 0)))
        if event.kind == STARTED:
            live[key] = dict(event.data)
        else:
            live.pop(key, None)
    return list(live.values())


def reap_orphan_gates(ctx: Context, target: str, holder: str, scratch: Path) -> list[int]:
    """End the gate groups of dead processors of `target`; the pgids killed."""
    killed = []
    for group in open_groups(ctx, target):
        owner, pgid = str(group["holder"]), int(group["pgid"])
        if owner == holder or not holder_is_dead(owner):
            continue  # ours, or a processor that may still be alive: never touched
        members = group_members(pgid)
        inside = [pid for pid in members if _runs_under(pid, scratch)]
        if inside:
            _end_group(pgid)
            killed.append(pgid)
            how = f"killed: its processor {owner} is gone ({len(members)} processes)"
        elif members:
            how = "left alone: that process group no longer runs in the scratch tree"
        else:
            how = "already gone"
        with ctx.store.transaction() as tx:
            tx.emit(ENDED, target, {"holder": owner, "pgid": pgid, "how": how, "by": holder})
    return killed


def group_members(pgid: int) -> list[int]:
    """Pids whose process group is `pgid` (Linux /proc; empty elsewhere)."""
    members = []
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 2 and fields[0] != "Z" and fields[2] == str(pgid):
            members.append(int(entry.name))
    return members


def _runs_under(pid: int, root: Path) -> bool:
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return False
    root = root.resolve()
    return cwd == root or root in cwd.parents


def _end_group(pgid: int) -> None:
    """TERM the group, wait a grace period for it to go, then KILL what is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + KILL_GRACE_S
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
