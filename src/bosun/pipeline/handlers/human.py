"""Human gates (hexagon, spec §4.6): ask, then wait for an answer from the queue or the CLI.

The question goes to `<node>/question.json` (and, through the `human_question` event, to
the run's checkpoint as `waiting_gate`, which `bosun run status` and the dashboard show);
an answer is a file `<base>/answers/<node>.json` (`{"choice": "..."}`) written by `bosun
run answer` or queued before the gate is reached.

An answer matches a choice by its accelerator key (`F` for `[F] Fix`, `F) Fix`, `F - Fix`,
else the label's first character), its label (normalised) or its target node id; an
answer that matches nothing falls back to the first choice (§4.6 step 5). `human.timeout`
(separate from any node timeout) falls back to `human.default_choice`; without a default
the gate returns RETRY (retried within `max_retries`, then a failure). A failed gate
follows only an edge whose condition matches the failure, never an unconditional one.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from bosun.base.durations import parse_duration
from bosun.base.errors import InvalidInput
from bosun.base.paths import atomic_write_json
from bosun.pipeline.edges import normalise_label
from bosun.pipeline.handlers.base import HandlerContext
from bosun.pipeline.nodetypes import NodeKind, NodeType, Retry
from bosun.pipeline.outcomes import FailureClass, Outcome, StageStatus, failure, success

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
    retry = Retry.ANY_FAILURE  # a timeout without default is RETRY: ask again (§4.6)
    failure_needs_condition = True

    def run(self, hc: HandlerContext) -> Outcome:
        node = hc.node
        edges = hc.graph.outgoing(node.id)
        choices = [
            {
                "key": accelerator_key(e.label or e.target),
                "label": e.label or e.target,
                "to": e.target,
            }
            for e in edges
        ]
        if not choices:
            return failure(f"human gate {node.id!r} has no outgoing edges", FailureClass.STRUCTURAL)
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
            keys=[c["key"] for c in choices],
            default=node.get("human.default_choice"),
            timeout=timeout,
        )
        path = answer_path(hc.rundir.base, node.id)
        started = hc.clock.monotonic()
        while True:
            choice = self._take(path, hc.stage_dir)
            if choice is not None:
                return self._route(hc, choice, "answer", choices)
            if hc.cancel.cancelled:
                hc.emit("human_answered", node_id=node.id, source="canceled")
                return failure(f"canceled: {hc.cancel.reason}", FailureClass.CANCELED)
            if timeout is not None and hc.clock.monotonic() - started >= timeout:
                default = node.get("human.default_choice").strip()
                if default:
                    return self._route(hc, default, "default_choice", choices)
                hc.emit("human_answered", node_id=node.id, source="timeout")
                return Outcome(
                    StageStatus.RETRY.value,
                    failure_reason=f"human gate {node.id!r} timed out after {timeout:g}s "
                    "without human.default_choice",
                    failure_class=FailureClass.DETERMINISTIC.value,
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
        item = match_choice(choice, choices)
        matched = item is not None
        if item is None:
            item = choices[0]  # spec §4.6 step 5: fall back to the first choice
        hc.emit(
            "human_answered",
            node_id=hc.node.id,
            source=source,
            answer=choice,
            selected=item["to"],
            matched=matched,
        )
        return success(
            preferred_label=item["label"],
            suggested_next_ids=(item["to"],),
            notes="" if matched else f"answer {choice!r} matched no choice; took the first",
            context_updates={
                "human.gate.selected": item["key"],
                "human.gate.target": item["to"],
                "human.gate.label": item["label"],
                "human.gate.source": source,
                "human.gate.answer": choice,
            },
        )


_KEY_PREFIX = re.compile(r"^\s*(?:\[(\w)\]\s*|(\w)\)\s*|(\w)\s+-\s+)")


def accelerator_key(label: str) -> str:
    """`[K] Label`, `K) Label`, `K - Label` → K; otherwise the first character (§4.6)."""
    match = _KEY_PREFIX.match(label)
    if match:
        return next(g for g in match.groups() if g).upper()
    text = label.strip()
    return text[:1].upper()


def match_choice(answer: str, choices: list[dict[str, str]]) -> dict[str, str] | None:
    """The choice an answer names: by target id, normalised label, then accelerator key."""
    text = answer.strip()
    for item in choices:
        if item["to"] == text:
            return item
    wanted = normalise_label(text)
    for item in choices:
        if normalise_label(item["label"]) == wanted:
            return item
    for item in choices:
        if item["key"] and item["key"].lower() == text.lower():
            return item
    return None
