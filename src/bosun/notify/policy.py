"""Which events become alerts, and which alerts are sent: pure functions of events and time.

`alert_for(event)` names the events that need a person:

waiting      `claude.notification` of a permission prompt, a question (elicitation) or an
             agent idle at its prompt waiting for input; any CLI the supervisor finds waiting
             at a prompt (`supervisor.recovery_started` for the `waiting` condition);
             `run.waiting` (a pipeline's human gate); a merge request held for approval
             (`merge.enqueued` with status `awaiting_approval`)
escalated    `supervisor.escalated`, `trigger.escalated`, an ESCALATION signal
quarantined  `supervisor.quarantined`
dead_letter  `trigger.dead` (a trigger job used up its attempts)
checkout     `merge.checkout_behind` (a checkout of the target missed landed changes: a
             commit there would undo them until it is repaired)

`Throttle` decides per agent: the same alert (agent, reason, key) is sent once within
`dedupe_window`, and at most `rate_limit` alerts per agent within `rate_window`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bosun.core.records import Event

WAITING_TYPES = frozenset({"permission_prompt", "elicitation_dialog", "idle_prompt"})


@dataclass(frozen=True)
class Alert:
    """One reason to call a person, about one agent (or trigger target)."""

    reason: str  # waiting, escalated, quarantined, dead_letter, checkout, test
    agent: str
    summary: str
    key: str  # what makes two alerts "the same" for deduplication
    event: dict[str, Any] = field(default_factory=dict)
    ts: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "agent": self.agent,
            "summary": self.summary,
            "ts": self.ts,
            "event": self.event,
            "source": "bosun",
        }


def alert_for(event: Event) -> Alert | None:
    """The alert an event raises, or None when it needs nobody."""
    data = event.data
    kind = event.kind

    def make(reason: str, summary: str, key: str) -> Alert:
        return Alert(reason, event.subject, summary, key, _event_json(event), event.ts)

    if kind == "claude.notification":
        ntype = str(data.get("type", ""))
        if ntype not in WAITING_TYPES:
            return None
        message = str(data.get("message", "")) or ntype.replace("_", " ")
        return make("waiting", f"{event.subject} waits: {message}", f"waiting:{ntype}")
    if kind == "run.waiting" and data.get("node_id"):
        node, question = data.get("node_id"), str(data.get("question") or "a human gate")
        key = f"gate:{node}:{data.get('asked_at')}"
        return make("waiting", f"run {event.subject} asks at {node}: {question}", key)
    if kind == "supervisor.recovery_started" and data.get("condition") == "waiting":
        summary = f"{event.subject} waits at a prompt: see `bosun agent answer`"
        return make("waiting", summary, f"prompt:{data.get('attempt')}")
    if kind == "merge.enqueued" and data.get("status") == "awaiting_approval":
        identity = str(data.get("identity") or event.subject)
        summary = (
            f"merge request {event.subject} ({data.get('branch')}) awaits approval: "
            f"`bosun mr diff {event.subject}`, `bosun mr approve {event.subject}`"
        )
        return Alert(
            "waiting", identity, summary, f"review:{event.subject}", _event_json(event), event.ts
        )
    if kind in ("supervisor.escalated", "trigger.escalated"):
        why = str(data.get("reason", "")) or "escalated"
        return make("escalated", f"{event.subject} escalated: {why}", f"{kind}:{why}")
    if kind == "signal.sent" and str(data.get("type", "")).upper() == "ESCALATION":
        sender = str(data.get("from", "?"))
        key = f"signal:{data.get('id')}"
        return make("escalated", f"{sender} escalates to {event.subject}", key)
    if kind == "supervisor.quarantined":
        why = str(data.get("reason", "")) or "quarantined"
        return make("quarantined", f"{event.subject} quarantined: {why}", f"quarantined:{why}")
    if kind == "trigger.dead":
        job = data.get("job")
        why = str(data.get("detail") or data.get("reason") or "attempts used up")
        return make("dead_letter", f"trigger {job} for {event.subject} dead: {why}", f"dead:{job}")
    if kind == "merge.checkout_behind":
        path, repair = data.get("path"), data.get("repair")
        summary = f"checkout {path} missed changes landed on {event.subject}: run `{repair}`"
        return make("checkout", summary, f"checkout:{path}:{data.get('new')}")
    return None


def _event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "ts": event.ts,
        "kind": event.kind,
        "subject": event.subject,
        "data": event.data,
    }


@dataclass(frozen=True)
class Verdict:
    send: bool
    why: str


class Throttle:
    """Deduplication and a per-agent rate limit; `now` comes from the caller's clock."""

    def __init__(self, dedupe_window: float, rate_limit: int, rate_window: float) -> None:
        self.dedupe_window = dedupe_window
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self._last_sent: dict[tuple[str, str, str], float] = {}
        self._sent: dict[str, deque[float]] = {}

    def decide(self, alert: Alert, now: float) -> Verdict:
        """Whether to send `alert` now; a sent alert is remembered."""
        same = (alert.agent, alert.reason, alert.key)
        last = self._last_sent.get(same)
        if last is not None and now - last < self.dedupe_window:
            return Verdict(False, f"duplicate of an alert sent {now - last:.0f}s ago")
        recent = self._sent.setdefault(alert.agent, deque())
        while recent and now - recent[0] >= self.rate_window:
            recent.popleft()
        if len(recent) >= self.rate_limit:
            window = f"{self.rate_window:g}s"
            return Verdict(False, f"rate limit: {len(recent)} alerts for {alert.agent} in {window}")
        recent.append(now)
        self._last_sent[same] = now
        self._forget(now)
        return Verdict(True, "sent")

    def _forget(self, now: float) -> None:
        horizon = max(self.dedupe_window, self.rate_window)
        for same in [k for k, t in self._last_sent.items() if now - t >= horizon]:
            del self._last_sent[same]
