"""Layer 1, the guardian: the run process as an identity.

`guardian/<run>` is registered by the run process (when the run reaches its first agent
node), heartbeats from a background thread while the process lives, and is marked
terminated — with the run's final status — when the process exits. It talks to runners
through signals, and on MERGE_READY it calls the merge queue directly (Python, not prompt
text), waits for the queue's MERGE_COMPLETE or MERGE_FAILED, and moves the orchestrator's
hook to `validating` before the queue runs and to `merged` after it landed.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from bosun.base.errors import BosunError
from bosun.base.names import split_identity
from bosun.chain.names import Layer, guardian_ref, initiative
from bosun.chain.phases import advance
from bosun.chain.preflight import runtime_problems
from bosun.core.context import open_project
from bosun.core.records import IdentityStatus, Phase
from bosun.mergequeue.processor import process
from bosun.mergequeue.queue import MergeQueue
from bosun.mergequeue.records import QUEUE_IDENTITY

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.core.records import Signal
    from bosun.pipeline.graph import Graph

ROLE = Layer.GUARDIAN.role


@dataclass(frozen=True)
class MergeVerdict:
    landed: bool
    request: str | None
    target: str
    commit: str | None = None
    reason: str = ""
    files: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        if self.landed:
            return {"request": self.request, "target": self.target, "commit": self.commit}
        return {
            "request": self.request,
            "target": self.target,
            "reason": self.reason,
            "files": self.files,
        }


class Guardian:
    _by_run: ClassVar[dict[str, Guardian]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, ctx: Context, run_id: str, base: Path) -> None:
        self.ctx, self.run_id, self.base = ctx, run_id, base
        self.ref = guardian_ref(run_id)
        self.name = split_identity(self.ref)[1]
        self.poll = ctx.config.number("chain.poll_interval")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._preflight: dict[int, list[str]] = {}

    # -- one guardian per run in this process ---------------------------------------------

    @classmethod
    def for_run(cls, ctx: Context, run_id: str, base: Path) -> Guardian:
        with cls._lock:
            guardian = cls._by_run.get(run_id)
            if guardian is None:
                guardian = cls(ctx, run_id, base)
                guardian.start()
                cls._by_run[run_id] = guardian
                atexit.register(guardian.close)
            return guardian

    def start(self) -> None:
        before = self.ctx.identities.find(ROLE, self.name)
        identity = self.ctx.identities.create(
            ROLE,
            self.name,
            runtime="builtin",
            initiative=initiative(self.run_id),
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        killed = before is not None and before.pid != os.getpid()
        if identity.status != IdentityStatus.ACTIVE or killed:
            # a resumed run (also one whose guardian was killed): a new incarnation
            with self.ctx.store.transaction() as tx:
                self.ctx.identities.new_incarnation(
                    tx, ROLE, self.name, pid=os.getpid(), reason="run resumed"
                )
        with self.ctx.store.transaction() as tx:
            tx.emit(
                "chain.guardian_started",
                self.ref,
                {"run_id": self.run_id, "pid": os.getpid(), "logs_root": str(self.base)},
            )
        interval = self.ctx.config.number("chain.heartbeat_interval")
        self._thread = threading.Thread(
            target=self._heartbeat, args=(interval,), daemon=True, name="bosun-guardian"
        )
        self._thread.start()

    def _heartbeat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.ctx.identities.heartbeat(ROLE, self.name)
            except BosunError:
                continue  # a busy store: the next beat tries again

    def close(self) -> None:
        """Stop heartbeating; record how the run ended (from final.json)."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            final = json.loads((self.base / "final.json").read_text())
            reason = f"run {self.run_id} ended: {final.get('status')}"
        except (OSError, ValueError):
            reason = f"run {self.run_id}: the run process exited without final.json"
        # At exit the CLI has closed its store already: record through a fresh one. When
        # even that fails, the stale heartbeat tells the story instead.
        with contextlib.suppress(BosunError), self._fresh_context() as ctx:
            ctx.identities.set_status(ROLE, self.name, IdentityStatus.TERMINATED, reason)
        with Guardian._lock:
            Guardian._by_run.pop(self.run_id, None)

    def _fresh_context(self) -> Context:
        assert self.ctx.paths is not None
        return open_project(self.ctx.paths.root)

    # -- preflight, once per graph --------------------------------------------------------

    def preflight(self, graph: Graph) -> list[str]:
        key = id(graph)
        if key not in self._preflight:
            self._preflight[key] = runtime_problems(self.ctx, graph)
        return self._preflight[key]

    # -- signals --------------------------------------------------------------------------

    def inbox(self, sender: str) -> list[Signal]:
        """Unread signals to the guardian from `sender`, oldest first."""
        found = [s for s in self.ctx.signals.list(to=self.ref, unread=True) if s.sender == sender]
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def send(self, to: str, kind: str, payload: dict[str, Any]) -> None:
        self.ctx.signals.send(to, kind, payload, sender=self.ref)

    # -- the merge -----------------------------------------------------------------------

    def merge(
        self, orchestrator: str, branch: str, work_id: str | None, target: str, timeout: float
    ) -> MergeVerdict:
        """Land `branch` on `target` through the merge queue and wait for its verdict."""
        role, name = split_identity(orchestrator)
        advance(self.ctx, role, name, Phase.VALIDATING)
        try:
            request, _ = MergeQueue(self.ctx).enqueue(
                branch, work_id=work_id or None, identity=self.ref, target=target, by=self.ref
            )
            process(self.ctx, target, until_empty=True, intake=False)
        except BosunError as exc:
            return self._refused(role, name, target, None, exc.message, [])
        verdict = self._await_verdict(request.id, target, timeout)
        if verdict is None:
            return self._refused(
                role,
                name,
                target,
                request.id,
                f"no MERGE_COMPLETE or MERGE_FAILED for {request.id} within {timeout:g}s",
                [],
            )
        if verdict.landed:
            advance(self.ctx, role, name, Phase.MERGED)
            return verdict
        return self._refused(role, name, target, request.id, verdict.reason, verdict.files)

    def _await_verdict(self, request_id: str, target: str, timeout: float) -> MergeVerdict | None:
        deadline = time.monotonic() + timeout
        while True:
            for sig in self.inbox(QUEUE_IDENTITY):
                if sig.payload.get("request") != request_id:
                    continue
                self.ctx.signals.ack(sig.id)
                if sig.type == "MERGE_COMPLETE":
                    return MergeVerdict(True, request_id, target, str(sig.payload.get("commit")))
                if sig.type == "MERGE_FAILED":
                    files = [str(f) for f in sig.payload.get("files") or []]
                    reason = str(sig.payload.get("reason"))
                    return MergeVerdict(False, request_id, target, reason=reason, files=files)
            if time.monotonic() >= deadline:
                return None
            time.sleep(self.poll)

    def _refused(
        self,
        role: str,
        name: str,
        target: str,
        request: str | None,
        reason: str,
        files: list[str],
    ) -> MergeVerdict:
        """Hand the work back to the orchestrator's hook with what went wrong."""
        listed = ", ".join(files) if files else "none named"
        text = (
            f"The merge of your branch into {target} failed ({reason}); conflicting files: "
            f"{listed}. Rebase onto {target}, resolve them, commit, and signal MERGE_READY "
            "to your runner again."
        )
        try:
            with self.ctx.store.transaction() as tx:
                hook = self.ctx.hooks.find_in(tx, role, name)
                if hook is not None and hook.phase in (Phase.VALIDATING, Phase.MERGE_READY):
                    self.ctx.hooks.update_phase_in(tx, role, name, Phase.EXECUTING)
                if hook is not None:
                    self.ctx.hooks.update_resumption_in(tx, role, name, text)
        except BosunError:
            pass  # the verdict still reaches the runner
        return MergeVerdict(False, request, target, reason=reason, files=files)
