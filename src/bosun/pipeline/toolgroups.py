"""Tool process groups, recorded in the run directory before the tool runs.

Every tool process is the leader of its own process group (its own session). Its group id
goes to `<run>/tool_groups/<pgid>` *before* the command starts: the child blocks on a pipe
until the file exists and exits without running anything if the run process dies first.
Each member carries `BOSUN_TOOL_GROUP=<that file>` in its environment — the positive
evidence `kill_recorded_groups` needs before it signals a group (a recycled group id is left
alone). Resume, stop and the end of every run kill the recorded groups and wait for them, so
no orphaned tool writes into a worktree that someone else now owns.

A stage process another module starts in its own group (the headless agent CLI) is recorded
with `mark_group` as `m-<label>` before it starts; its group is the one whose members carry
that record as their marker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

GROUPS_DIR = "tool_groups"
MARKER = "BOSUN_TOOL_GROUP"
# the child waits for a line on its stdin (a pipe); EOF (the run died before recording the
# group) means: do not run. The tool itself then reads /dev/null.
_PROLOGUE = f'{MARKER}="${MARKER}_DIR/$$"; export {MARKER}; unset {MARKER}_DIR; '
_GATE = 'IFS= read -r _ || exit 125; exec </dev/null; exec /bin/sh -c "$1"'


def groups_dir(base: Path) -> Path:
    return base / GROUPS_DIR


def spawn_tool(
    command: str,
    base: Path,
    cwd: Path,
    env: dict[str, str],
    stdout: IO[bytes],
    stderr: IO[bytes],
) -> subprocess.Popen[bytes]:
    """Start `command` under /bin/sh in a new process group recorded under `base` first."""
    folder = groups_dir(base)
    folder.mkdir(parents=True, exist_ok=True)
    read_end, write_end = os.pipe()
    try:
        # the group id is the child's pid; the record path must be in its environment, so the
        # child learns it from its own pid
        proc = subprocess.Popen(
            ["/bin/sh", "-c", _PROLOGUE + _GATE, "sh", command],
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
            stdin=read_end,
            env={**env, f"{MARKER}_DIR": str(folder)},
            start_new_session=True,
        )
    except BaseException:
        os.close(write_end)
        raise
    finally:
        os.close(read_end)
    try:
        (folder / str(proc.pid)).write_text(f"{proc.pid}\n")
        os.write(write_end, b"go\n")
    finally:
        os.close(write_end)
    return proc


def _members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is `pgid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[0] != "Z" and fields[2] == str(pgid):
            found.append(int(entry.name))
    return found


def _ours(pid: int, record: Path) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"{MARKER}={record}".encode() in environ


def kill_group(pgid: int, record: Path, timeout: float = 10.0) -> bool:
    """SIGKILL the group if one of its members proves it is ours; wait until it is gone."""
    members = _members(pgid)
    if not any(_ours(pid, record) for pid in members):
        return False
    deadline = time.monotonic() + timeout
    while members and time.monotonic() < deadline:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        time.sleep(0.02)
        members = _members(pgid)
    return not members


def mark_group(base: Path, label: str) -> tuple[Path, dict[str, str]]:
    """A record for a stage process someone else starts in its own group (a headless agent
    CLI): the caller puts the returned environment into the process's and calls
    `forget_mark` when it ended. The record exists before the process does; its group is
    found by the marker in its members' environment."""
    folder = groups_dir(base)
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / f"m-{label}"
    record.write_text("marked\n")
    return record, {MARKER: str(record)}


def forget_mark(record: Path) -> None:
    record.unlink(missing_ok=True)


def _marked_groups(record: Path) -> set[int]:
    """The process groups of the live processes that carry `record` as their marker."""
    groups = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or not _ours(int(entry.name), record):
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[0] != "Z":
            groups.add(int(fields[2]))
    return groups


def kill_recorded_groups(base: Path) -> list[int]:
    """Kill every tool group recorded under `base` (and wait); return the ids killed."""
    folder = groups_dir(base)
    killed: list[int] = []
    if not folder.is_dir():
        return killed
    for record in sorted(folder.iterdir()):
        if record.name.startswith("m-"):
            for pgid in sorted(_marked_groups(record)):
                if pgid != os.getpgrp() and kill_group(pgid, record):
                    killed.append(pgid)
        elif record.name.isdigit() and kill_group(int(record.name), record):
            killed.append(int(record.name))
        record.unlink(missing_ok=True)
    return killed


def forget(base: Path, pgid: int) -> None:
    """The group is gone (reaped and killed): drop its record."""
    (groups_dir(base) / str(pgid)).unlink(missing_ok=True)
