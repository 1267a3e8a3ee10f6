"""Signals and escalations: recent signals (unread first), and what needs a person —
quarantined agents, escalated recovery attempts and ESCALATION signals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.core.records import Signal
from bosun.web.panels import Data, Panel, register
from bosun.web.panels._html import badge, esc, short, table

if TYPE_CHECKING:
    from bosun.web.view import View


def data(view: View, params: Mapping[str, str]) -> Data:
    signals = [
        Signal.from_row(r).to_json() for r in view.read("web_signals_recent", limit=view.rows)
    ]
    unread = int(view.read("web_signals_unread_count")[0]["n"])
    escalations: list[dict[str, Any]] = []
    for ident in view.ctx.identities.list(status="quarantined"):
        escalations.append(
            {
                "kind": "quarantined",
                "identity": ident.ref,
                "at": iso(ident.updated_at),
                "detail": ident.status_reason,
            }
        )
    for row in view.read("web_escalated_attempts", limit=50):
        escalations.append(
            {
                "kind": "escalated",
                "identity": f"{row['role']}/{row['name']}",
                "at": iso(row["decided_at"] or row["started_at"]),
                "detail": f"{row['condition']}: {row['detail'] or ''}".rstrip(": "),
            }
        )
    for sig in signals:
        if sig["type"] == "ESCALATION":
            escalations.append(
                {
                    "kind": "signal",
                    "identity": sig["from"] or sig["to"],
                    "at": sig["created_at"],
                    "detail": str(sig["payload"].get("reason") or sig["payload"] or ""),
                }
            )
    escalations.sort(key=lambda e: e["at"] or "", reverse=True)
    summary = f"{unread} unread" + (f" · {len(escalations)} escalations" if escalations else "")
    return {"signals": signals, "unread": unread, "escalations": escalations, "summary": summary}


def render(d: Data) -> str:
    esc_rows = [
        [badge(e["kind"], "bad"), esc(e["identity"]), esc(e["at"]), esc(short(e["detail"], 90))]
        for e in d["escalations"][:20]
    ]
    parts = []
    if esc_rows:
        parts.append(
            '<h3 class="alert">Needs a person</h3>'
            + table(("", "identity", "when", "detail"), esc_rows)
        )
    shown = sorted(d["signals"], key=lambda s: (not s["unread"], ""))[:40]
    cells = [
        [
            badge(s["type"]),
            esc(s["from"] or "-") + " \u2192 " + esc(s["to"]),
            esc(s["created_at"]),
            "unread" if s["unread"] else "read",
            esc(short(_payload(s["payload"]), 60)),
        ]
        for s in shown
    ]
    attrs = [
        f'data-signal="{esc(s["id"])}"' + (' class="unread"' if s["unread"] else "") for s in shown
    ]
    parts.append(
        table(
            ("type", "from \u2192 to", "sent", "", "payload"),
            cells,
            row_attrs=attrs,
            empty="no signals",
        )
    )
    return "".join(parts)


def _payload(payload: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(payload.items()))


PANEL = register(
    Panel(
        name="signals",
        title="Signals & escalations",
        order=50,
        kinds=("signal.", "supervisor.recovery_escalated", "identity.status"),
        data=data,
        render=render,
    )
)
