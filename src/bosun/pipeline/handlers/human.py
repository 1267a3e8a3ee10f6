"""Human gates (hexagon): ask, then wait for an answer from the queue or the CLI.

The question goes to `<node>/question.json`; an answer is a file
`<base>/answers/<node>.json` (`{"choice": "..."}`) written by `bosun run answer` or queued
before the gate is reached. `human.timeout` (separate from any node timeout) falls back to
`human.default_choice`; without a default the gate fails.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bosun.base.durations import parse_duration
from bosun.base.errors import InvalidInput
from bosun.base.paths import atomic_write_json
from bosun.pipeline.edges import normalise_label
from bosun.pipeline.handlers.base import HandlerContext
from bosun.pipeline.nodetypes import NodeKind, NodeType, Retry
from bosun.pipeline.outcomes import FailureClass, Outcome, failure, success

POLL = 0.1


def answer_path(base: Path, node_id: str) -> Path:
    return base / "answers" / f"{node_id}.json"


def write_answer(base: Path, node_id: str, choice: str) -> Path:
    path = answer_path(base, node_id)
    atomic_write_json(path, {"choice": choice})
    return path


class HumanGate(NodeKind):
    name = NodeType.HUMAN
    shapes = ("hexagon",)
    aliases = ("human",)
    attributes = ("human.default_choice", "human.timeout", "question")
    drawn_shapes = ("hexagon",)
    retry = Retry.NEVER

    def run(self, hc: HandlerContext) -> Outcome:
        node = hc.node
        edges = hc.graph.outgoing(node.id)
        choices = [{"label": e.label or e.target, "to": e.target} for e in edges]
        timeout: float | None = None
        if node.get("human.timeout"):
            try:
                timeout = parse_duration(node.get("human.timeout"), "human.timeout")
            except InvalidInput as exc:
                return failure(exc.message, FailureClass.STRUCTURAL)
        question = node.get("question") or node.label
        atomic_write_json(
            hc.stage_dir / "question.json",
            {
                "node": node.id,
                "question": question,
                "choices": choices,
                "timeout": timeout,
                "default": node.get("human.default_choice"),
            },
        )
        hc.emit(
            "human_question",
            node_id=node.id,
            question=question,
            choices=[c["label"] for c in choices],
        )
        path = answer_path(hc.rundir.base, node.id)
        started = hc.clock.monotonic()
        while True:
            choice = self._take(path, hc.stage_dir)
            if choice is not None:
                return self._route(hc, choice, "answer", choices)
            if hc.cancel.cancelled:
                return failure(f"canceled: {hc.cancel.reason}", FailureClass.CANCELED)
            if timeout is not None and hc.clock.monotonic() - started >= timeout:
                default = node.get("human.default_choice").strip()
                if default:
                    return self._route(hc, default, "default_choice", choices)
                return failure(
                    f"human gate {node.id!r} timed out after {timeout:g}s "
                    "without human.default_choice",
                    FailureClass.DETERMINISTIC,
                )
            hc.sleep(POLL)

    @staticmethod
    def _take(path: Path, stage_dir: Path) -> str | None:
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        os.replace(path, stage_dir / "answer.json")
        return str(data.get("choice", "")) if isinstance(data, dict) else str(data)

    @staticmethod
    def _route(
        hc: HandlerContext, choice: str, source: str, choices: list[dict[str, str]]
    ) -> Outcome:
        wanted = normalise_label(choice)
        for item in choices:
            if normalise_label(item["label"]) == wanted or item["to"] == choice:
                return success(
                    preferred_label=item["label"],
                    suggested_next_ids=(item["to"],),
                    context_updates={
                        "human.gate.selected": item["to"],
                        "human.gate.label": item["label"],
                        "human.gate.source": source,
                    },
                )
        return failure(
            f"answer {choice!r} matches none of: " + ", ".join(c["label"] for c in choices),
            FailureClass.DETERMINISTIC,
        )
