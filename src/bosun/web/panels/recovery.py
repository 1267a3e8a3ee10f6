"""Patrol and recovery logs: nudge → response pairs, and recovery-ladder attempts with their
outcomes (newest first)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import ago, badge, esc, short, table

if TYPE_CHECKING:
    from bosun.web.view import View


def _took(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else max(0.0, end - start)


def data(view: View, params: Mapping[str, str]) -> Data:
    limit = min(view.rows, 100)
    nudges: list[dict[str, Any]] = []
    for r in reversed(view.read("web_nudges_recent", limit=limit)):
        nudges.append(
            {
                "id": int(r["id"]),
                "identity": f"{r['role']}/{r['name']}",
                "text": r["text"],
                "work_id": r["work_id"],
                "phase": r["phase"],
                "delivered": bool(r["delivered"]),
                "nudged_at": iso(r["delivered_at"] or r["created_at"]),
                "response": r["response"],
                "responded_at": iso(r["responded_at"]),
                "response_after_s": _took(r["delivered_at"], r["responded_at"]),
                "evidence": json.loads(r["evidence"] or "{}"),
            }
        )
    attempts: list[dict[str, Any]] = []
    for r in reversed(view.read("web_attempts_recent", limit=limit)):
        attempts.append(
            {
                "id": int(r["id"]),
                "identity": f"{r['role']}/{r['name']}",
                "condition": r["condition"],
                "strategy": r["strategy"],
                "rung": int(r["rung"]),
                "outcome": r["outcome"],
                "started_at": iso(r["started_at"]),
                "decided_at": iso(r["decided_at"]),
                "took_s": _took(r["started_at"], r["decided_at"]),
                "detail": r["detail"],
            }
        )
    pending = sum(1 for a in attempts if a["outcome"] == "pending")
    waiting = sum(1 for n in nudges if n["response"] == "pending")
    summary = f"{len(attempts)} attempts ({pending} pending) · {len(nudges)} nudges"
    if waiting:
        summary += f" ({waiting} awaiting a response)"
    return {"nudges": nudges, "attempts": attempts, "summary": summary}


def render(d: Data) -> str:
    attempts = [
        [
            esc(a["identity"]),
            esc(a["condition"]),
            f"{esc(a['strategy'])} <small>rung {esc(a['rung'])}</small>",
            badge(a["outcome"]),
            esc(a["started_at"]),
            esc(ago(a["took_s"])) if a["took_s"] is not None else "-",
            esc(short(a["detail"], 60)),
        ]
        for a in d["attempts"][:25]
    ]
    nudges = [
        [
            esc(n["identity"]),
            esc(short(n["text"], 50)),
            esc(n["nudged_at"]),
            "\u2192 " + badge(n["response"]),
            esc(ago(n["response_after_s"])) if n["response_after_s"] is not None else "-",
        ]
        for n in d["nudges"][:25]
    ]
    return (
        "<h3>Recovery ladder</h3>"
        + table(
            ("identity", "condition", "strategy", "outcome", "started", "took", "detail"),
            attempts,
            empty="no recovery attempts",
        )
        + "<h3>Patrol nudges</h3>"
        + table(("identity", "nudge", "at", "response", "after"), nudges, empty="no patrol nudges")
    )


PANEL = register(
    Panel(
        name="recovery",
        title="Patrol & recovery",
        order=60,
        kinds=("supervisor.recovery", "supervisor.patrol"),
        data=data,
        render=render,
    )
)
