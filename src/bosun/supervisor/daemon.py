"""Running the supervisor: in the foreground, detached in its own session, and stopping it."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.base.errors import LockHeld, NotFound, OperationFailed
from bosun.base.logs import configure_logging
from bosun.core.context import open_project
from bosun.supervisor.guards import report_guard
from bosun.supervisor.hostlock import pid_alive, read_lock_record

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.supervisor.background import BackgroundLoop, LoopThread
    from bosun.supervisor.policies.lock_takeover import LockRecord
    from bosun.supervisor.process import SupervisorProcess


def running_supervisor(ctx: Context) -> LockRecord | None:
    """The live supervisor of this project on this host, from its lock record."""
    assert ctx.paths is not None
    record = read_lock_record(ctx.paths.supervisor_lock)
    if record is None or record.released_at is not None:
        return None
    if record.hostname != socket.gethostname() or not pid_alive(record.pid):
        return None
    return record


def run_foreground(
    ctx: Context, *, once: bool = False, loops: Sequence[BackgroundLoop] = ()
) -> int:
    """Run the supervisor here until it is stopped (or one tick with `once`), hosting the
    caller's background `loops` beside the tick (none with `once`)."""
    # Lazy: agents' commands (`bosun handoff`) import this module for `running_supervisor`
    # and must not load the whole engine (CLI start-up time).
    from bosun.supervisor.process import SupervisorProcess

    _configure_logging()
    process = SupervisorProcess(ctx)
    threads = [] if once else _start_loops(ctx, process, loops)
    for thread in threads:
        process.extras.append(_reporter(ctx, thread, process))
    try:
        for thread in threads:
            thread.start()
        return process.run(once=once)
    finally:
        process.stopping.set()
        for thread in threads:
            thread.join(timeout=30)


def _start_loops(
    ctx: Context, process: SupervisorProcess, loops: Sequence[BackgroundLoop]
) -> list[LoopThread]:
    """Each loop on its own store connection, stopped with the supervisor."""
    assert ctx.paths is not None
    root = ctx.paths.root

    def opener() -> Context:
        return open_project(root)

    tick = process.settings.tick_interval
    return [loop.thread(opener, process.stopping, tick) for loop in loops]


def _reporter(ctx: Context, thread: LoopThread, process: SupervisorProcess) -> Callable[[], None]:
    """Report a loop's health as its guard, every tick."""

    def report() -> None:
        with ctx.store.transaction() as tx:
            report_guard(
                tx,
                thread.engine,
                process.fleet.host,
                enabled=thread.is_alive(),
                cadence=max(process.settings.tick_interval, 1.0),
                error=thread.error,
            )

    return report


def _configure_logging() -> None:
    configure_logging(logging.INFO, sys.stderr)  # passwords redacted from every record


def start_detached(ctx: Context, timeout: float = 20.0) -> dict[str, Any]:
    """Start `bosun supervise` in its own session; refuse when one already runs."""
    assert ctx.paths is not None
    held = running_supervisor(ctx)
    if held is not None:
        raise LockHeld(
            f"a supervisor already runs for this project (pid {held.pid} on {held.hostname}, "
            f"started {iso(held.started_at)})",
            "stop it with `bosun stop`, or look at it with `bosun status`",
        )
    ctx.paths.logs.mkdir(parents=True, exist_ok=True)
    log_path = ctx.paths.logs / "supervisor.log"
    env = {**os.environ, "BOSUN_HOME": str(ctx.paths.root)}
    env.pop("BOSUN_IDENTITY", None)
    with open(log_path, "ab") as log, open(os.devnull, "rb") as devnull:
        child = subprocess.Popen(
            [sys.executable, "-m", "bosun", "supervise"],
            cwd=ctx.paths.root,
            env=env,
            stdin=devnull,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = running_supervisor(ctx)
        if record is not None and record.pid == child.pid:
            pid_file = ctx.paths.home / "supervisor.pid"
            pid_file.write_text(f"{child.pid}\n")
            return {"pid": child.pid, "log": str(log_path), "pid_file": str(pid_file)}
        if child.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise OperationFailed(
                f"the supervisor exited at start (code {child.returncode}): " + " | ".join(tail),
                f"see {log_path}",
            )
        time.sleep(0.05)
    raise OperationFailed(
        f"the supervisor (pid {child.pid}) did not take its lock in {timeout:g}s", f"see {log_path}"
    )


def stop_supervisor(ctx: Context, timeout: float = 15.0) -> dict[str, Any]:
    record = running_supervisor(ctx)
    if record is None:
        raise NotFound(
            "no supervisor is running for this project on this host",
            "start one with `bosun supervise --detach`",
        )
    os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running_supervisor(ctx) is None:
            return {"pid": record.pid, "stopped": True}
        time.sleep(0.05)
    raise OperationFailed(
        f"the supervisor (pid {record.pid}) did not stop in {timeout:g}s",
        f"kill it with `kill -9 {record.pid}`; its agents keep running",
    )
