"""The engine's resumable state, saved as checkpoint.json after every node."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from bosun.pipeline.outcomes import Outcome

CHECKPOINT_VERSION = 1


@dataclass
class RunState:
    run_id: str
    next_node: str | None
    current_node: str = ""
    completed_nodes: list[str] = field(default_factory=list)
    node_retries: dict[str, int] = field(default_factory=dict)
    visits: dict[str, int] = field(default_factory=dict)
    last_outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_nodes: list[str] = field(default_factory=list)
    gate_retries: int = 0
    restart_count: int = 0
    restart_signatures: dict[str, int] = field(default_factory=dict)
    failure_signatures: dict[str, int] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    git_commit_sha: str = ""
    logs_root: str = ""  # the current directory (restart-N/ after restarts), absolute
    base_logs_root: str = ""
    started_at: str | None = None
    timestamp: str | None = None
    # spec §5.3: the run log, one line per completed stage ("<ts> <node> <status>[: reason]")
    logs: list[str] = field(default_factory=list)
    # the human gate the run waits at: {node_id, question, choices, keys, default, timeout,
    # asked_at}; None when it waits for nobody
    waiting_gate: dict[str, Any] | None = None
    # True between the two checkpoints of a stage: `current_node` completed (its outcome is
    # in `last_outcomes`) and its next edge is not chosen yet. A resume then routes from
    # the recorded outcome instead of running the stage again.
    route_pending: bool = False

    def outcomes(self) -> dict[str, Outcome]:
        return {k: Outcome.from_json(v) for k, v in self.last_outcomes.items()}

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return {"version": CHECKPOINT_VERSION, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunState:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        if "run_id" not in values or "next_node" not in values:
            raise KeyError("run_id/next_node")
        return cls(**values)
