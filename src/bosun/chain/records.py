"""What a runner is told (its spec) and what it reports (its state file).

The guardian (or `bosun spawn-runner`) writes the spec once, before the runner starts; the
runner alone writes its state file while it lives; the guardian writes it only after the
runner's process is gone (to record a crash). Both live in `<run dir>/runners/`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from bosun.base.clock import iso
from bosun.base.errors import IllegalTransition, InvalidInput, NotFound
from bosun.base.paths import atomic_write_json, read_json_file


class RunnerStatus(StrEnum):
    STARTING = "starting"  # the process runs; the orchestrator is not registered yet
    LAUNCHING = "launching"  # orchestrator identity and hook registered; session starting
    RUNNING = "running"  # the orchestrator session works the node
    MERGING = "merging"  # MERGE_READY went to the guardian; waiting for its verdict
    DONE = "done"  # reported a success outcome to the guardian
    FAILED = "failed"  # reported a failure outcome to the guardian
    CRASHED = "crashed"  # the process died without reporting (written by the guardian)


R = RunnerStatus
RUNNER_TRANSITIONS: dict[RunnerStatus, frozenset[RunnerStatus]] = {
    R.STARTING: frozenset({R.LAUNCHING, R.FAILED, R.CRASHED}),
    R.LAUNCHING: frozenset({R.RUNNING, R.FAILED, R.CRASHED}),
    R.RUNNING: frozenset({R.MERGING, R.DONE, R.FAILED, R.CRASHED}),
    R.MERGING: frozenset({R.RUNNING, R.DONE, R.FAILED, R.CRASHED}),
    R.DONE: frozenset(),
    R.FAILED: frozenset(),
    R.CRASHED: frozenset(),
}
FINISHED = frozenset({R.DONE, R.FAILED, R.CRASHED})


@dataclass(frozen=True)
class RunnerSpec:
    """Everything a runner needs to supervise one execution of one agent node."""

    run_id: str
    node_id: str
    name: str  # of the runner and the orchestrator identities
    project_root: str
    logs_root: str  # the run's base directory
    stage_dir: str
    workdir: str  # where the node runs (the run worktree); the orchestrator branches off it
    base_commit: str
    merge_target: str  # the branch the node's work lands on; "" = no merge
    preset: str
    title: str
    work_id: str
    timeout: float
    attempt: int = 1
    env: dict[str, str] = field(default_factory=dict)
    # this execution's stamp: every signal between the runner and the guardian carries it,
    # and each side drops one with another stamp (an earlier execution's, e.g. the "done"
    # of a runner whose guardian crashed before it read it)
    execution: str = ""

    @property
    def status_path(self) -> Path:
        return Path(self.stage_dir) / "stage_status.json"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunnerSpec:
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except TypeError as exc:
            raise InvalidInput(f"not a runner spec: {exc}", "start the runner again") from exc


def runners_dir(logs_root: Path | str) -> Path:
    return Path(logs_root) / "runners"


def spec_path(logs_root: Path | str, name: str) -> Path:
    return runners_dir(logs_root) / f"{name}.spec.json"


def state_path(logs_root: Path | str, name: str) -> Path:
    return runners_dir(logs_root) / f"{name}.json"


def write_spec(spec: RunnerSpec) -> Path:
    path = spec_path(spec.logs_root, spec.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, spec.to_json())
    return path


def read_spec(path: Path) -> RunnerSpec:
    if not path.is_file():
        raise NotFound(f"no runner spec {path}", "start runners with `bosun spawn-runner`")
    data = read_json_file(path)
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} is not a runner spec", "start the runner again")
    return RunnerSpec.from_json(data)


@dataclass(frozen=True)
class RunnerState:
    status: RunnerStatus
    runner: str
    orchestrator: str
    pid: int | None
    updated_at: str | None
    orchestrator_pid: int | None = None
    incarnation: int | None = None
    reason: str = ""
    outcome: dict[str, Any] | None = None
    history: tuple[tuple[str, str | None], ...] = ()

    def moved(self, new: RunnerStatus, now: float | None = None, **changes: Any) -> RunnerState:
        """This state in status `new` (validated; the same status again only updates)."""
        if new != self.status and new not in RUNNER_TRANSITIONS[self.status]:
            allowed = ", ".join(sorted(RUNNER_TRANSITIONS[self.status])) or "none (final)"
            raise IllegalTransition(
                f"runner {self.runner} cannot go from {self.status} to {new}",
                f"from {self.status} it can go to: {allowed}",
            )
        stamp = iso(now if now is not None else time.time())
        history = self.history if new == self.status else (*self.history, (str(new), stamp))
        return replace(self, status=new, updated_at=stamp, history=history, **changes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        data["history"] = [{"status": s, "at": at} for s, at in self.history]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunnerState:
        return cls(
            status=RunnerStatus(data["status"]),
            runner=str(data["runner"]),
            orchestrator=str(data["orchestrator"]),
            pid=data.get("pid"),
            updated_at=data.get("updated_at"),
            orchestrator_pid=data.get("orchestrator_pid"),
            incarnation=data.get("incarnation"),
            reason=str(data.get("reason") or ""),
            outcome=data.get("outcome"),
            history=tuple((h["status"], h.get("at")) for h in data.get("history") or ()),
        )


def write_state(path: Path, state: RunnerState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, state.to_json())


def read_state(path: Path) -> RunnerState | None:
    """The runner's state, or None before the runner wrote one."""
    if not path.is_file():
        return None
    data = read_json_file(path)
    try:
        return RunnerState.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"{path} is not a runner state file ({exc})", "") from exc
