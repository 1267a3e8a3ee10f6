"""Which events raise alerts, and the per-agent deduplication and rate limit on a fake clock."""

from __future__ import annotations

from typing import Any

from bosun.base.clock import FakeClock
from bosun.core.records import Event
from bosun.notify.policy import Alert, Throttle, alert_for


def event(kind: str, subject: str = "polecat/toast", **data: Any) -> Event:
    return Event(1, 1_800_000_000.0, kind, subject, data)


def alert(agent: str = "polecat/toast", key: str = "waiting:permission_prompt") -> Alert:
    return Alert("waiting", agent, "waits", key)


def test_a_permission_prompt_is_a_waiting_alert_with_the_message() -> None:
    found = alert_for(
        event("claude.notification", type="permission_prompt", message="Allow Bash(rm)?")
    )
    assert found is not None
    assert (found.reason, found.agent) == ("waiting", "polecat/toast")
    assert "Allow Bash(rm)?" in found.summary
    assert found.to_json()["event"]["kind"] == "claude.notification"


def test_escalation_quarantine_dead_letter_and_human_gate_raise_alerts() -> None:
    cases = {
        "supervisor.escalated": ("escalated", {"reason": "looping"}),
        "trigger.escalated": ("escalated", {"reason": "no target"}),
        "supervisor.quarantined": ("quarantined", {"reason": "crash loop"}),
        "trigger.dead": ("dead_letter", {"job": 7, "reason": "attempts used up"}),
        "run.waiting": ("waiting", {"node_id": "review", "question": "Ship it?"}),
        "supervisor.recovery_started": ("waiting", {"condition": "waiting", "attempt": 4}),
        "merge.enqueued": ("waiting", {"status": "awaiting_approval", "branch": "bosun/t"}),
        "merge.checkout_behind": ("checkout", {"path": "/r", "new": "ab", "repair": "git x"}),
    }
    for kind, (reason, data) in cases.items():
        found = alert_for(event(kind, **data))
        assert found is not None and found.reason == reason, kind
    signal = alert_for(event("signal.sent", type="ESCALATION", id=3, **{"from": "witness/w"}))
    assert signal is not None and signal.reason == "escalated"


def test_a_merge_request_awaiting_approval_alerts_its_agent_with_how_to_review() -> None:
    found = alert_for(
        event("merge.enqueued", "mr-1", status="awaiting_approval", identity="polecat/toast")
    )
    assert found is not None and found.agent == "polecat/toast"
    assert "bosun mr approve mr-1" in found.summary


def test_ordinary_events_raise_no_alert() -> None:
    assert alert_for(event("run.waiting", "run-1")) is None  # the gate was answered
    assert alert_for(event("supervisor.recovery_started", condition="stalled")) is None
    assert alert_for(event("merge.enqueued", "mr-1", status="queued")) is None
    assert alert_for(event("claude.notification", type="auth_success")) is None
    assert alert_for(event("signal.sent", type="NUDGE", id=4)) is None
    assert alert_for(event("trigger.completed", job=1)) is None
    assert alert_for(event("notify.sent", reason="waiting")) is None


def test_the_same_alert_is_sent_once_within_the_dedupe_window() -> None:
    clock = FakeClock()
    throttle = Throttle(dedupe_window=600, rate_limit=10, rate_window=3600)
    assert throttle.decide(alert(), clock.now()).send
    clock.advance(599)
    repeat = throttle.decide(alert(), clock.now())
    assert not repeat.send and "duplicate" in repeat.why
    assert throttle.decide(alert(key="waiting:idle_prompt"), clock.now()).send
    clock.advance(1)
    assert throttle.decide(alert(), clock.now()).send


def test_alerts_per_agent_are_rate_limited_and_the_window_slides() -> None:
    clock = FakeClock()
    throttle = Throttle(dedupe_window=0, rate_limit=2, rate_window=60)
    assert throttle.decide(alert(key="a"), clock.now()).send
    clock.advance(10)
    assert throttle.decide(alert(key="b"), clock.now()).send
    limited = throttle.decide(alert(key="c"), clock.now())
    assert not limited.send and "rate limit" in limited.why
    assert throttle.decide(alert(agent="polecat/other", key="c"), clock.now()).send
    clock.advance(50)  # the first alert leaves the window
    assert throttle.decide(alert(key="c"), clock.now()).send
    assert not throttle.decide(alert(key="d"), clock.now()).send


def test_a_dropped_alert_does_not_count_against_the_rate_limit() -> None:
    clock = FakeClock()
    throttle = Throttle(dedupe_window=600, rate_limit=2, rate_window=60)
    assert throttle.decide(alert(key="a"), clock.now()).send
    for _ in range(5):
        assert not throttle.decide(alert(key="a"), clock.now()).send
    assert throttle.decide(alert(key="b"), clock.now()).send
