"""Helpers for the dashboard's in-process tests: an app on a real project store, and reading
Server-Sent Events frames from a streaming response."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

BASE = "http://127.0.0.1:8899"


@contextmanager
def dashboard_client(
    project: Path, env: dict[str, str] | None = None, token: str | None = None
) -> Iterator[tuple[TestClient, Any]]:
    """(client, ctx): the dashboard app on `project`'s store, its lifespan running."""
    from bosun.core.context import open_project
    from bosun.web.app import create_app

    ctx = open_project(project, env=env or {})
    try:
        app = create_app(ctx, token=token, probe_screens=False)
        with TestClient(app, base_url=BASE) as client:
            yield client, ctx
    finally:
        ctx.close()


def frames(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """SSE frames as {"event", "id", "data"}; comments (pings) are skipped."""
    frame: dict[str, Any] = {}
    for line in lines:
        if line == "":
            if "data" in frame:
                frame["data"] = json.loads(frame["data"])
                yield frame
            frame = {}
        elif line.startswith(":"):
            continue
        else:
            key, _, value = line.partition(":")
            frame[key] = value[1:] if value.startswith(" ") else value


def read_until(lines: Iterator[str], last_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """Frames until a change frame reaches event `last_id` (or a reset)."""
    got = []
    for frame in frames(lines):
        got.append(frame)
        if frame["event"] == "reset":
            return got
        if frame["event"] == "change" and frame["data"]["last_id"] >= last_id:
            return got
        if len(got) >= limit:
            break
    raise AssertionError(f"no frame reached event {last_id}: {got}")
