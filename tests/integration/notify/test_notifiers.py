"""The notifiers for real: a shell command writing its stdin to a file, a webhook on a local
HTTP server that fails before it succeeds, and the engine following a real event log."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bosun.base.clock import FakeClock
from bosun.base.config import default_config
from bosun.core.context import memory_context
from bosun.notify.engine import Notifier, NotifyStep
from bosun.notify.senders import post_webhook, run_command


class Hook:
    """A webhook receiver on 127.0.0.1 that answers `statuses` in turn, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", "0"))
                hook.bodies.append(json.loads(self.rfile.read(length)))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook([500, 503])
    yield server
    server.close()


def test_the_command_reads_the_alert_as_json_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "alert.json"
    done = run_command(f"cat > {out}", {"reason": "waiting", "agent": "polecat/toast"}, 10)
    assert done.ok
    assert json.loads(out.read_text()) == {"reason": "waiting", "agent": "polecat/toast"}


def test_a_failing_command_reports_its_exit_and_stderr() -> None:
    done = run_command("echo nope >&2; exit 3", {}, 10)
    assert not done.ok and done.detail == "exit 3: nope"


def test_the_webhook_is_retried_on_500_until_it_succeeds(hook: Hook) -> None:
    sleeps: list[float] = []
    payload = {"reason": "escalated"}
    done = post_webhook(hook.url, payload, timeout=5, retries=3, sleep=sleeps.append)
    assert done.ok and done.attempts == 3
    assert sleeps == [0.5, 1.0]
    assert [b["reason"] for b in hook.bodies] == ["escalated"] * 3


def test_the_webhook_gives_up_after_its_retries(hook: Hook) -> None:
    hook.statuses = [500] * 10
    done = post_webhook(hook.url, {}, timeout=5, retries=2, sleep=lambda s: None)
    assert not done.ok and done.attempts == 3 and done.detail == "HTTP 500"
    assert len(hook.bodies) == 3


def test_a_client_error_is_not_retried(hook: Hook) -> None:
    hook.statuses = [404]
    done = post_webhook(hook.url, {}, timeout=5, retries=3, sleep=lambda s: None)
    assert not done.ok and done.attempts == 1 and done.detail == "HTTP 404"


def test_the_engine_follows_the_log_dedupes_and_records_what_it_sent(
    tmp_path: Path, hook: Hook
) -> None:
    hook.statuses = []
    out = tmp_path / "alerts.jsonl"
    config = default_config().with_overrides(
        **{"notify.command": f"cat >> {out}", "notify.webhook": hook.url}
    )
    clock = FakeClock()
    ctx = memory_context(clock, config)
    try:
        with ctx.store.transaction() as tx:
            tx.emit("supervisor.escalated", "polecat/old", {"reason": "before the start"})
        notifier = Notifier(ctx)
        assert notifier.step() == []  # history is not replayed
        with ctx.store.transaction() as tx:
            tx.emit("claude.notification", "polecat/toast", {"type": "permission_prompt"})
            tx.emit("claude.notification", "polecat/toast", {"type": "permission_prompt"})
            tx.emit("work.status", "w-1", {"status": "done"})
            tx.emit("supervisor.quarantined", "polecat/nux", {"reason": "crash loop"})
        sent = notifier.step()
        assert [(a.reason, a.agent) for a, _ in sent] == [
            ("waiting", "polecat/toast"),
            ("quarantined", "polecat/nux"),
        ]
        assert all(d.ok for _, ds in sent for d in ds)
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        assert [line["agent"] for line in lines] == ["polecat/toast", "polecat/nux"]
        assert [b["reason"] for b in hook.bodies] == ["waiting", "quarantined"]
        recorded = ctx.events.since(0, kind="notify.")
        assert [e.kind for e in recorded] == ["notify.sent", "notify.sent"]
        clock.advance(601)  # past the dedupe window: the same prompt alerts again
        with ctx.store.transaction() as tx:
            tx.emit("claude.notification", "polecat/toast", {"type": "permission_prompt"})
        assert len(notifier.step()) == 1
    finally:
        ctx.close()


def test_a_failed_delivery_is_recorded_and_the_step_goes_on(tmp_path: Path) -> None:
    config = default_config().with_overrides(**{"notify.command": "exit 1"})
    ctx = memory_context(FakeClock(), config)
    try:
        step = NotifyStep()
        assert step(ctx) == 0
        with ctx.store.transaction() as tx:
            tx.emit("trigger.dead", "polecat/toast", {"job": 9, "reason": "attempts used up"})
        assert step(ctx) == 1
        failed = ctx.events.since(0, kind="notify.failed")
        assert failed and failed[0].data["deliveries"][0]["detail"].startswith("exit 1")
    finally:
        ctx.close()
