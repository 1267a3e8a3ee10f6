"""`bosun supervise`: the long-running process around the tick.

It holds the host lock for its lifetime, sees an agent process exit the moment it happens
(a pidfd per session in one selector; the selector's timeout is the fallback poll, never
slower than 4 per second), runs a tick every `supervisor.tick_interval`, and reports each
guard's health every tick so `bosun guards` tells the truth.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bosun.agents.driver import project_fleet
from bosun.base.errors import BosunError
from bosun.supervisor.engine import Supervisor
from bosun.supervisor.guards import report_guard
from bosun.supervisor.hostlock import HostLock, HostLockRefused, audit_acquisition, audit_refusal
from bosun.supervisor.typed_settings import validate_supervisor_config

if TYPE_CHECKING:
    from bosun.agents.sessions import AgentSession
    from bosun.core.context import Context

logger = logging.getLogger("bosun.supervisor")
MAX_POLL = 0.25  # the fallback poll: at least 4 times a second


class ExitWatcher:
    """One pidfd per live session; readable the instant the process exits."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.fds: dict[str, tuple[int, AgentSession]] = {}

    def sync(self, sessions: list[AgentSession]) -> list[AgentSession]:
        """Watch these sessions; returns those whose process is already gone."""
        wanted = {f"{s.ref}#{s.incarnation}": s for s in sessions if s.pid}
        for key in list(self.fds):
            if key not in wanted:
                self._drop(key)
        gone = []
        for key, session in wanted.items():
            if key in self.fds or not session.pid:
                continue
            try:
                fd = os.pidfd_open(session.pid)
            except ProcessLookupError:
                gone.append(session)
                continue
            except OSError:
                continue  # not ours to watch (another host, no permission): the tick polls
            self.fds[key] = (fd, session)
            self.selector.register(fd, selectors.EVENT_READ, key)
        return gone

    def wait(self, timeout: float) -> list[AgentSession]:
        exited = []
        for key, _ in self.selector.select(timeout):
            entry = self.fds.get(key.data)
            if entry is not None:
                exited.append(entry[1])
                self._drop(key.data)
        return exited

    def watching(self, session: AgentSession) -> bool:
        """Is this session's process watched and (as of the last wait) still running?"""
        return f"{session.ref}#{session.incarnation}" in self.fds

    def _drop(self, key: str) -> None:
        fd, _ = self.fds.pop(key)
        self.selector.unregister(fd)
        os.close(fd)

    def close(self) -> None:
        for key in list(self.fds):
            self._drop(key)
        self.selector.close()


class SupervisorProcess:
    def __init__(self, ctx: Context, *, extras: list[Callable[[], None]] | None = None) -> None:
        self.ctx = ctx
        self.settings = validate_supervisor_config(ctx.config)
        self.fleet = project_fleet(ctx)
        self.supervisor: Supervisor = Supervisor(ctx, self.fleet, self.settings)
        self.stopping = threading.Event()
        self.tick_requested = threading.Event()
        self.extras = extras or []
        self.watcher = ExitWatcher()
        self.supervisor.observer.known_alive = self.watcher.watching
        self.ticks = 0

    def stop(self, *_: object) -> None:
        self.stopping.set()

    def tick_soon(self, *_: object) -> None:
        """SIGUSR1: run a tick now (`bosun handoff` asks for one; no need to wait for the
        next scheduled tick). The loop polls at least 4 times a second."""
        self.tick_requested.set()

    def run(self, *, once: bool = False) -> int:
        assert self.ctx.paths is not None
        lock = HostLock(self.ctx.paths.supervisor_lock, self.settings.lock, self.ctx.clock)
        try:
            acquired = lock.acquire()
        except HostLockRefused as refused:
            with self.ctx.store.transaction() as tx:
                audit_refusal(tx, refused, lock.hostname, self.settings.tick_interval)
            raise
        try:
            with self.ctx.store.transaction() as tx:
                audit_acquisition(tx, acquired, lock.path, self.settings.tick_interval)
                tx.emit("supervisor.started", lock.hostname, {"pid": os.getpid(), "once": once})
            self.supervisor.reconcile()
            if once:
                self._tick(lock)
                return 0
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, self.stop)
                signal.signal(signal.SIGINT, self.stop)
                signal.signal(signal.SIGUSR1, self.tick_soon)
            self._loop(lock)
            return 0
        finally:
            self.watcher.close()
            with self.ctx.store.transaction() as tx:
                tx.emit(
                    "supervisor.stopped", lock.hostname, {"pid": os.getpid(), "ticks": self.ticks}
                )
            lock.release()

    def _loop(self, lock: HostLock) -> None:
        clock = self.ctx.clock
        next_tick = clock.monotonic()
        poll = min(MAX_POLL, self.settings.poll_interval)
        while not self.stopping.is_set():
            now = clock.monotonic()
            if now >= next_tick or self.tick_requested.is_set():
                self.tick_requested.clear()
                self._tick(lock)
                next_tick = now + self.settings.tick_interval
            gone = self.watcher.sync(self.fleet.live())
            exited = gone + self.watcher.wait(max(0.0, min(poll, next_tick - clock.monotonic())))
            for session in exited:
                self._on_exit(session)

    def _on_exit(self, session: AgentSession) -> None:
        try:
            live = self.fleet.runtime.liveness(self.fleet.handle(session))
            report = self.supervisor.session_exited(session, live)
            for line in report.actions:
                logger.info("%s", line)
        except BosunError as exc:
            logger.warning("handling the exit of %s failed: %s", session.ref, exc.message)

    def _tick(self, lock: HostLock) -> None:
        self.ticks += 1
        errors: dict[str, str | None] = {}
        report = self.supervisor.tick()
        errors["recovery_ladder"] = "; ".join(report.errors) or None
        for name, step in (
            ("patrol", self.supervisor.patrol.settle_responses),
            ("resume_queue", self._drain),
        ):
            try:
                step()
                errors[name] = None
            except BosunError as exc:
                errors[name] = exc.message
        for extra in self.extras:
            try:
                extra()
            except BosunError as exc:
                logger.warning("%s", exc.message)
        if self.ticks % 60 == 1:
            try:
                self.ctx.work.purge_wisps()
            except BosunError as exc:
                logger.warning("purging wisps failed: %s", exc.message)
        lock.refresh()
        for line in report.actions:
            logger.info("%s", line)
        with self.ctx.store.transaction() as tx:
            for name, switch in self.settings.guards.items():
                if name == "host_lock":
                    report_guard(
                        tx,
                        name,
                        self.fleet.host,
                        enabled=True,
                        cadence=self.settings.tick_interval,
                        dry_run=switch.dry_run,
                    )
                    continue
                report_guard(
                    tx,
                    name,
                    self.fleet.host,
                    enabled=switch.enabled,
                    cadence=self.settings.tick_interval,
                    dry_run=switch.dry_run,
                    error=errors.get(name) if name != "context_cycling" else None,
                )

    def _drain(self) -> None:
        if self.settings.guards["resume_queue"].enabled:
            done = self.supervisor.drain_resume_queue()
            if done:
                logger.info("%s", done)
