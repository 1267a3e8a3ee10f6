"""The two notifiers: a shell command fed the alert as JSON, and a webhook POST with retries.

Each returns a `Delivery` instead of raising: a notifier that fails must never stop the
supervisor; the engine logs the failure and records it as a `notify.failed` event.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Delivery:
    notifier: str  # command, webhook
    ok: bool
    detail: str
    attempts: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "notifier": self.notifier,
            "ok": self.ok,
            "detail": self.detail,
            "attempts": self.attempts,
        }


def run_command(command: str, payload: dict[str, Any], timeout: float) -> Delivery:
    """Run `command` in a shell with the alert as JSON on stdin."""
    body = json.dumps(payload, sort_keys=True, default=str) + "\n"
    try:
        done = subprocess.run(
            command,
            shell=True,
            input=body,
            text=True,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Delivery("command", False, f"timed out after {timeout:g}s")
    except OSError as exc:
        return Delivery("command", False, f"could not run: {exc}")
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        return Delivery("command", False, f"exit {done.returncode}: {tail[0][:200]}")
    return Delivery("command", True, "exit 0")


def post_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float,
    retries: int,
    sleep: Callable[[float], None] = time.sleep,
    backoff: float = 0.5,
) -> Delivery:
    """POST the alert as JSON; retry connection errors and HTTP 5xx (and 429) with backoff."""
    body = json.dumps(payload, sort_keys=True, default=str).encode()
    detail = ""
    for attempt in range(1, retries + 2):
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "bosun-notify"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return Delivery("webhook", True, f"HTTP {response.status}", attempt)
        except urllib.error.HTTPError as exc:
            detail = f"HTTP {exc.code}"
            if exc.code < 500 and exc.code != 429:
                return Delivery("webhook", False, detail, attempt)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            detail = f"unreachable: {getattr(exc, 'reason', exc)}"
        if attempt <= retries:
            sleep(backoff * 2 ** (attempt - 1))
    return Delivery("webhook", False, detail, retries + 1)
