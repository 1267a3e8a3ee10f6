"""The trigger worker loop: bootstrap, claim → process → record, rescue, reconcile, shut down.

    bootstrap   register in the worker registry; start the heartbeat thread
    loop        rescue jobs of lost workers (every rescue_interval); reconcile unread threads
                (on a thread notification, else every reconcile_interval); claim a batch and
                process it; when idle, wait for a NOTIFY (PostgreSQL) or poll
    shutdown    on stop() (SIGTERM): finish the job in hand, give back claimed jobs that were
                not started, deregister

Processing is a callable `(lease, queue) -> None` that must end the attempt through the queue;
an exception it raises is recorded as a failed attempt (`internal_error`).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bosun.base.clock import Clock, SystemClock
from bosun.base.errors import BosunError, Conflict
from bosun.store.protocol import Store
from bosun.triggers.queue import Lease, TriggerQueue
from bosun.triggers.registry import WorkerRegistry

Processor = Callable[[Lease, TriggerQueue], None]
BatchProcessor = Callable[[list[Lease], TriggerQueue], int]


class Waiter(Protocol):
    def wait(self, timeout: float) -> bool: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class WorkerConfig:
    claim_batch: int = 4
    poll_interval: float = 0.5
    heartbeat: float = 5.0
    rescue_interval: float = 10.0
    reconcile_interval: float = 5.0

    @classmethod
    def from_settings(cls, get: Callable[[str], Any]) -> WorkerConfig:
        return cls(
            int(get("triggers.claim_batch")),
            float(get("triggers.poll_interval")),
            float(get("triggers.worker_heartbeat")),
            float(get("triggers.rescue_interval")),
            float(get("triggers.reconcile_interval")),
        )


@dataclass
class WorkerStats:
    worker_id: str = ""
    processed: int = 0
    failed: int = 0
    rescued: int = 0
    reconciled: int = 0
    released: int = 0
    lost: bool = False


def noop_processor(lease: Lease, queue: TriggerQueue) -> None:
    """Complete the job without doing anything: for benchmarks and queue tests."""
    queue.complete(lease, hop="noop", reason="noop", started_at=time.time())


def noop_batch(leases: list[Lease], queue: TriggerQueue) -> int:
    """Complete a whole claimed batch at once, without doing anything (benchmarks)."""
    return queue.complete_many(leases, hop="noop", reason="noop", started_at=time.time())


class TriggerWorker:
    def __init__(
        self,
        queue: TriggerQueue,
        processor: Processor,
        config: WorkerConfig | None = None,
        *,
        waiter: Waiter | None = None,
        reconcile: Callable[[], int] | None = None,
        clock: Clock | None = None,
        log: Callable[[str], None] | None = None,
        batch: BatchProcessor | None = None,
        heartbeat_store: Store | None = None,
        close_heartbeat_store: bool = False,
    ) -> None:
        """`heartbeat_store`: a second connection for the heartbeat thread, so a busy loop
        holding the main connection never starves the heartbeat (give one in production)."""
        self.queue = queue
        self.processor = processor
        self.config = config or WorkerConfig()
        self.waiter = waiter
        self.reconcile = reconcile
        self.batch = batch
        self.clock = clock or SystemClock()
        self.log = log or (lambda _line: None)
        self.registry = WorkerRegistry(queue.store)
        self.beats = WorkerRegistry(heartbeat_store or queue.store)
        self._beat_store = heartbeat_store if close_heartbeat_store else None
        self.stats = WorkerStats()
        self._stop = threading.Event()
        self._beat_stop = threading.Event()

    def stop(self) -> None:
        """Ask the loop to finish its current job and exit (safe from a signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda _s, _f: self.stop())

    def run(self, *, once: bool = False, max_jobs: int | None = None) -> WorkerStats:
        """Work until stopped; `once`: drain what is due now (one rescue, one reconcile) and
        return. `max_jobs`: stop after processing that many."""
        self.stats.worker_id = self.registry.register()
        self.log(f"trigger worker {self.stats.worker_id} started")
        beat = threading.Thread(target=self._heartbeat_loop, daemon=True, name="trigger-heartbeat")
        beat.start()
        try:
            self._loop(once, max_jobs)
        finally:
            self._beat_stop.set()
            beat.join(timeout=10)
            if self.waiter is not None:
                self.waiter.close()
            if self._beat_store is not None:
                self._beat_store.close()
            if not self.stats.lost:
                self.registry.deregister(self.stats.worker_id, self.stats.processed)
            self.log(
                f"trigger worker {self.stats.worker_id} stopped after {self.stats.processed} jobs"
            )
        return self.stats

    def _loop(self, once: bool, max_jobs: int | None) -> None:
        mono = self.clock.monotonic
        next_rescue = next_reconcile = mono()
        while not self._stop.is_set():
            now = mono()
            if now >= next_rescue:
                self.stats.rescued += len(self.queue.rescue())
                next_rescue = now + self.config.rescue_interval
            if self.reconcile is not None and now >= next_reconcile:
                self.stats.reconciled += self.reconcile()
                next_reconcile = now + self.config.reconcile_interval
            leases = self.queue.claim(self.stats.worker_id, self.config.claim_batch)
            if not leases:
                if once:
                    return
                if self._wait():
                    next_reconcile = mono()  # a notification: reconcile at once
                continue
            if self.batch is not None:
                self.stats.processed += self.batch(leases, self.queue)
                continue
            for index, lease in enumerate(leases):
                if self._stop.is_set() or (
                    max_jobs is not None and self.stats.processed >= max_jobs
                ):
                    for unstarted in leases[index:]:
                        self.stats.released += int(self.queue.release(unstarted))
                    self._stop.set()
                    break
                self._process(lease)

    def _process(self, lease: Lease) -> None:
        try:
            self.processor(lease, self.queue)
        except BosunError as exc:
            self._failed(lease, exc.code, exc.message)
        except Exception as exc:  # noqa: BLE001 - a bug in processing must not kill the worker
            self._failed(lease, "internal_error", f"{type(exc).__name__}: {exc}")
        self.stats.processed += 1

    def _failed(self, lease: Lease, code: str, message: str) -> None:
        self.stats.failed += 1
        self.log(f"job {lease.job.id} failed: {message}")
        self.queue.fail(
            lease, hop="worker", reason=code, detail=message[:2000], started_at=self.clock.now()
        )

    def _wait(self) -> bool:
        if self.waiter is not None:
            return self.waiter.wait(self.config.poll_interval)
        self._stop.wait(self.config.poll_interval)
        return False

    def _heartbeat_loop(self) -> None:
        while not self._beat_stop.wait(self.config.heartbeat):
            try:
                self.beats.heartbeat(self.stats.worker_id, self.stats.processed)
            except Conflict as exc:
                self.log(f"worker lost: {exc.message}")
                self.stats.lost = True
                self._stop.set()
                return
            except BosunError as exc:  # the store is unreachable: keep trying
                self.log(f"heartbeat failed: {exc.message}")
