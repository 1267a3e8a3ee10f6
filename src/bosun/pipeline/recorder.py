"""Where a run reports: its progress.ndjson and, inside a project, the `runs` table and the
event log (`run.*`, one transaction per change). A store failure never stops the run; it is
written to progress.ndjson instead."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bosun.base.errors import BosunError

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.pipeline.rundir import FinalRecord, RunDir


def register_run(
    ctx: Context,
    run_id: str,
    graph: str,
    logs_root: str,
    status: str,
    pid: int | None,
    detached: bool,
) -> None:
    with ctx.store.transaction() as tx:
        tx.run(
            "run_upsert",
            run_id=run_id,
            graph=graph,
            logs_root=logs_root,
            status=status,
            pid=pid,
            host=socket.gethostname(),
            detached=int(detached),
            now=tx.now,
        )
        tx.emit(
            "run.started" if status == "running" else "run.launched",
            run_id,
            {"graph": graph, "logs_root": logs_root, "pid": pid, "detached": detached},
        )


class Recorder:
    def __init__(self, rundir: RunDir, project: Context | None = None) -> None:
        self.rundir = rundir
        self.project = project

    def event(self, name: str, **data: Any) -> None:
        self.rundir.event(name, **data)

    def _to_store(self, action: str, fn: Callable[[], None]) -> None:
        if self.project is None:
            return
        try:
            fn()
        except BosunError as exc:
            self.rundir.event("store_error", action=action, error=exc.message)

    def started(self, graph: str, resumed: bool) -> None:
        self.event(
            "run_resumed" if resumed else "run_started",
            graph=graph,
            pid=os.getpid(),
            logs_root=str(self.rundir.root),
        )
        project = self.project
        if project is not None:
            self._to_store(
                "started",
                lambda: register_run(
                    project,
                    self.rundir.run_id,
                    graph,
                    str(self.rundir.base),
                    "running",
                    os.getpid(),
                    False,
                ),
            )

    def node_completed(self, node_id: str, status: str, restart_count: int) -> None:
        def write() -> None:
            assert self.project is not None
            with self.project.store.transaction() as tx:
                tx.run(
                    "run_progress",
                    run_id=self.rundir.run_id,
                    current_node=node_id,
                    restart_count=restart_count,
                    now=tx.now,
                )
                tx.emit(
                    "run.node_completed", self.rundir.run_id, {"node": node_id, "status": status}
                )

        self._to_store("node_completed", write)

    def waiting(self, gate: dict[str, Any] | None) -> None:
        """A human gate started (`run.waiting`, with the question and the choices) or
        stopped (`run.answered`) waiting; the checkpoint's `waiting_gate` says the same."""

        def write() -> None:
            assert self.project is not None
            with self.project.store.transaction() as tx:
                tx.emit(
                    "run.waiting" if gate else "run.answered",
                    self.rundir.run_id,
                    dict(gate or {}),
                )

        self._to_store("waiting", write)

    def finished(self, record: FinalRecord) -> None:
        """After final.json is on disk: the terminal progress event, then the store."""
        name = "run_completed" if record.status.value == "success" else "run_failed"
        self.event(
            name,
            status=record.status.value,
            failure_reason=record.failure_reason,
            final_node=record.final_node,
        )

        def write() -> None:
            assert self.project is not None
            with self.project.store.transaction() as tx:
                tx.run(
                    "run_finish",
                    run_id=record.run_id,
                    status=record.status.value,
                    failure_reason=record.failure_reason or None,
                    current_node=record.final_node or None,
                    restart_count=record.restart_count,
                    now=tx.now,
                )
                tx.emit(
                    "run.completed" if name == "run_completed" else "run.failed",
                    record.run_id,
                    record.to_json(),
                )

        self._to_store("finished", write)
