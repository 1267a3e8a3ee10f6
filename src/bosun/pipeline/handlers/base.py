"""The handler protocol and what a handler is given.

A handler runs one node and returns an `Outcome`; it never routes, retries or writes the
checkpoint — the engine does. The registry of handlers is `bosun.pipeline.handlers.registry`.

The graph model is imported for types only: the graph derives its shape table from the
handler classes, so a handler module must not import it at run time.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bosun.base.clock import Clock
from bosun.pipeline.outcomes import Outcome

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.pipeline.graph import Graph, Node
    from bosun.pipeline.rundir import RunDir


class CancelToken:
    """Set once, with a reason; children see their parent's cancellation."""

    def __init__(self, parent: CancelToken | None = None) -> None:
        self._event = threading.Event()
        self._parent = parent
        self.reason = ""

    def cancel(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    @property
    def cancelled(self) -> bool:
        if self._event.is_set():
            return True
        if self._parent is not None and self._parent.cancelled:
            self.reason = self.reason or self._parent.reason
            return True
        return False

    def child(self) -> CancelToken:
        return CancelToken(self)


class RunContext:
    """The run's key/value context; thread-safe; branches get a deep copy."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values: dict[str, Any] = dict(values or {})
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._values[key] = value

    def update(self, values: Mapping[str, Any]) -> None:
        with self._lock:
            self._values.update(values)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            data: dict[str, Any] = json.loads(json.dumps(self._values, default=str))
            return data

    def clone(self) -> RunContext:
        return RunContext(self.snapshot())

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._values

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._values)


@dataclass(frozen=True)
class BranchResult:
    branch: str  # the first node of the branch
    status: str
    last_node: str
    failure_reason: str = ""
    head_sha: str = ""
    git_branch: str = ""
    context: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "status": self.status,
            "last_node": self.last_node,
            "failure_reason": self.failure_reason,
            "head_sha": self.head_sha,
            "git_branch": self.git_branch,
        }


BranchRunner = Callable[[str, str, "RunContext", CancelToken], BranchResult]


class Emit(Protocol):
    """Records a progress event of the run (`progress.ndjson`, and the store in a project)."""

    def __call__(self, name: str, /, **data: Any) -> None: ...


def no_events(name: str, /, **data: Any) -> None:
    """An `Emit` that records nothing."""


Progress = Callable[[str], None]


def no_progress(source: str) -> None:
    """A `Progress` that tells nobody."""


@dataclass
class HandlerContext:
    """Everything a handler may use. `project` is the bosun project's Context (None when the
    run is outside a project)."""

    run_id: str
    graph: Graph
    node: Node
    rundir: RunDir
    stage_dir: Path
    workdir: Path
    context: RunContext
    clock: Clock
    sleep: Callable[[float], None]
    cancel: CancelToken
    attempt: int = 1
    project: Context | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    run_branch: BranchRunner | None = None
    merge_branch: Callable[[str], str] | None = None
    emit: Emit = no_events
    # tells the stall watchdog the node shows work (`source`: screen, tool_call, commit,
    # model_request…) without writing an event; every `emit` counts as progress too
    progress: Progress = no_progress

    def env(self) -> dict[str, str]:
        """Environment variables a stage process sees (besides the inherited ones); each
        `BOSUN_*` name also under Kilroy's `KILROY_*` name, so published prompts and
        scripts that write `$KILROY_STAGE_STATUS_PATH` run unchanged."""
        own = self._bosun_env()
        kilroy = {"KILROY_" + k.removeprefix("BOSUN_"): v for k, v in own.items()}
        kilroy["KILROY_STAGE_STATUS_FALLBACK_PATH"] = own["BOSUN_STAGE_STATUS_PATH"]
        return {**kilroy, **own}

    def _bosun_env(self) -> dict[str, str]:
        return {
            "BOSUN_RUN_ID": self.run_id,
            "BOSUN_NODE_ID": self.node.id,
            "BOSUN_LOGS_ROOT": str(self.rundir.root),
            "BOSUN_STAGE_LOGS_DIR": str(self.stage_dir),
            "BOSUN_STAGE_STATUS_PATH": str(self.stage_dir / "stage_status.json"),
            "BOSUN_WORKTREE_DIR": str(self.workdir),
            "BOSUN_RUN_PID": str(os.getpid()),
            "BOSUN_ATTEMPT": str(self.attempt),
            "BOSUN_PREDECESSOR_NODE": str(self.context.get("previous_node", "") or ""),
            "BOSUN_PREDECESSOR_OUTCOME": str(self.context.get("outcome", "") or ""),
        }


@runtime_checkable
class Handler(Protocol):
    def run(self, hc: HandlerContext) -> Outcome: ...
