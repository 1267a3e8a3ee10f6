"""The registry of trigger workers: register, heartbeat, deregister, and who is alive."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bosun.base.clock import iso
from bosun.base.errors import Conflict
from bosun.base.ids import short_id
from bosun.store.protocol import Row, Store


class WorkerState(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"  # deregistered after a graceful shutdown
    LOST = "lost"  # stopped heartbeating; its jobs are rescued


@dataclass(frozen=True)
class WorkerRecord:
    id: str
    host: str
    pid: int
    state: WorkerState
    started_at: float
    heartbeat_at: float
    jobs_done: int
    stopped_at: float | None = None

    @classmethod
    def from_row(cls, row: Row) -> WorkerRecord:
        return cls(
            row["id"],
            row["host"],
            int(row["pid"]),
            WorkerState(row["state"]),
            row["started_at"],
            row["heartbeat_at"],
            int(row["jobs_done"]),
            row["stopped_at"],
        )

    def to_json(self, now: float | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "host": self.host,
            "pid": self.pid,
            "state": str(self.state),
            "started_at": iso(self.started_at),
            "heartbeat_at": iso(self.heartbeat_at),
            "stopped_at": iso(self.stopped_at),
            "jobs_done": self.jobs_done,
        }
        if now is not None:
            data["heartbeat_age_s"] = round(max(0.0, now - self.heartbeat_at), 3)
        return data


class WorkerRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store

    def register(self, host: str | None = None, pid: int | None = None) -> str:
        host = host or socket.gethostname()
        pid = os.getpid() if pid is None else pid
        worker_id = f"{short_id('tw', 4)}@{host[:40]}:{pid}"
        with self.store.transaction() as tx:
            tx.run("trigger_worker_register", id=worker_id, host=host, pid=pid)
            tx.emit("trigger.worker_started", worker_id, {"host": host, "pid": pid})
        return worker_id

    def heartbeat(self, worker_id: str, jobs_done: int) -> None:
        """Raise Conflict when the worker was declared lost (its jobs may be rescued)."""
        with self.store.transaction(durable=False) as tx:
            if not tx.run("trigger_worker_heartbeat", id=worker_id, jobs_done=jobs_done):
                raise Conflict(
                    f"trigger worker {worker_id} was declared lost",
                    "its jobs were rescued; start a new worker",
                )

    def deregister(self, worker_id: str, jobs_done: int) -> None:
        with self.store.transaction() as tx:
            tx.run("trigger_worker_stop", id=worker_id, jobs_done=jobs_done)
            tx.emit("trigger.worker_stopped", worker_id, {"jobs_done": jobs_done})

    def get(self, worker_id: str) -> WorkerRecord | None:
        with self.store.transaction(write=False) as tx:
            row = tx.one("trigger_worker_get", id=worker_id)
        return WorkerRecord.from_row(row) if row else None

    def list(self, limit: int = 100) -> list[WorkerRecord]:
        with self.store.transaction(write=False) as tx:
            return [WorkerRecord.from_row(r) for r in tx.all("trigger_workers_list", limit=limit)]
