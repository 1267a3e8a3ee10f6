"""The demo's pipeline: agent node → test tool node → human gate (answered by the demo).

The agent node is a supervised sim session (the layered chain: guardian → runner →
orchestrator) whose task script adds a feature, commits it, reports its outcome and asks
for the merge; its branch lands on the run branch, where the tool node runs the sample's
tests; the human gate asks whether to ship, and the demo answers `approve` once the
question is on disk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bosun.demo.sample import Feature, test_command

GATE = "ship"
APPROVE = "approve"


def dot_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def orchestrator_steps(feature: Feature) -> list[dict[str, Any]]:
    """The agent node's task script (`$status_path` and `$runner` are expanded by the
    runner before the agent sees them)."""
    outcome = {"outcome": "success", "context_updates": {"demo.feature": feature.name}}
    return [
        {"write": {"path": feature.module_path, "content": feature.module}},
        {"write": {"path": feature.test_path, "content": feature.test}},
        {"run": test_command(), "timeout": 300},
        {"commit": f"calc: add {feature.name} (pipeline)"},
        {"write": {"path": ".stage.json", "content": json.dumps(outcome)}},
        {"run": 'mv .stage.json "$status_path"'},
        {"signal": "IMPL_COMPLETE", "to": "$runner"},
        {"signal": "MERGE_READY", "to": "$runner", "payload": {"branch": "{branch}"}},
    ]


def graph_text(feature: Feature, node_timeout: str = "150s") -> str:
    prompt = (
        f"Add `{feature.name}(x)` to the calc package with a test, then report.\n\n"
        "```bosun-task\n" + json.dumps({"steps": orchestrator_steps(feature)}) + "\n```\n"
    )
    return (
        "digraph bosun_demo {\n"
        f'  goal="add calc.{feature.name}, test it, and ship it after a human says so"\n'
        "  start [shape=Mdiamond]\n"
        "  exit [shape=Msquare]\n"
        f'  impl [shape=box, runtime="sim", timeout="{node_timeout}",\n'
        f"        prompt={dot_string(prompt)}]\n"
        f"  test [shape=parallelogram, tool_command={dot_string(test_command())}]\n"
        f'  {GATE} [shape=hexagon, label="Ship it?"]\n'
        "  start -> impl\n"
        '  impl -> test [condition="outcome=success"]\n'
        f'  test -> {GATE} [condition="outcome=success"]\n'
        f'  {GATE} -> exit [label="{APPROVE}", condition="preferred_label={APPROVE}"]\n'
        f'  {GATE} -> impl [label="rework", condition="preferred_label=rework"]\n'
        "}\n"
    )


@dataclass
class PipelineRun:
    """What the demo knows of its run: ids, the run directory, and what it has seen."""

    run_id: str
    logs_root: Path
    answered: bool = False
    final: dict[str, Any] | None = None

    def question_waiting(self) -> bool:
        return (self.logs_root / GATE / "question.json").exists()

    def read_final(self) -> dict[str, Any] | None:
        if self.final is None:
            try:
                data = json.loads((self.logs_root / "final.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            self.final = data if isinstance(data, dict) else None
        return self.final

    @property
    def status(self) -> str:
        final = self.read_final()
        if final is not None:
            return str(final.get("status", "unknown"))
        if self.question_waiting() and not self.answered:
            return "waiting for the human gate"
        return "running"

    def completed_nodes(self) -> list[str]:
        try:
            data = json.loads((self.logs_root / "checkpoint.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        nodes = data.get("completed_nodes") if isinstance(data, dict) else None
        return [str(n) for n in nodes] if isinstance(nodes, list) else []
