"""One event reader for every client.

`EventHub` reads the event log (one query per `poll` seconds however many clients watch),
keeps the newest events in memory for clients that reconnect, and fans out one prebuilt
SSE frame per batch to every subscriber:

    id: <last event id>            (what the browser sends back as Last-Event-ID)
    event: change
    data: {"first_id", "last_id", "count", "panels": [...], "events": [newest ≤ FEED]}

so a burst of 10,000 events reaches a browser as a few frames naming the panels to patch.
A client that falls too far behind (its queue is full, or its Last-Event-ID is older than
what can be replayed) gets `event: reset` and reloads every panel. `event: tick` names the
panels that show ages, every `tick` seconds. `EventStream` is the ASGI response: it stops,
and unsubscribes, as soon as the client disconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.types import Receive, Scope, Send

from bosun.core.records import Event

log = logging.getLogger("bosun.web")

FEED = 50  # events carried per frame, for the feed
QUEUE = 256  # frames a subscriber may lag behind before it is reset
BUFFER = 20_000  # events kept for replay
BATCH = 5_000  # events read per query
PING = 15.0  # seconds between keep-alive comments

ReadSince = Callable[[int, int], list[Event]]
PanelsOf = Callable[[str], Iterable[str]]


def sse(data: dict[str, Any], event: str, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, separators=(",", ":"), default=str)
    return f"{head}event: {event}\ndata: {body}\n\n".encode()


RESET = sse({"reason": "too far behind; reload every panel"}, "reset")


def change_frame(events: list[Event], panels_of: PanelsOf) -> bytes:
    panels: set[str] = set()
    for e in events:
        panels.update(panels_of(e.kind))
    data = {
        "first_id": events[0].id,
        "last_id": events[-1].id,
        "count": len(events),
        "panels": sorted(panels),
        "events": [e.to_json() for e in events[-FEED:]],
    }
    return sse(data, "change", events[-1].id)


@dataclass(eq=False)
class Subscriber:
    queue: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(QUEUE))
    resets: int = 0

    def offer(self, frame: bytes) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESET)
            self.resets += 1


class EventHub:
    def __init__(
        self,
        read_since: ReadSince,
        panels_of: PanelsOf,
        *,
        start_id: int,
        poll: float = 0.05,
        tick: float = 5.0,
        timely: Iterable[str] = (),
        replay_limit: int = 5000,
    ) -> None:
        self.read_since = read_since
        self.panels_of = panels_of
        self.last_id = start_id
        self.poll = poll
        self.tick = tick
        self.timely = sorted(timely)
        self.replay_limit = replay_limit
        self.buffer: deque[Event] = deque(maxlen=BUFFER)
        self.subscribers: set[Subscriber] = set()
        self.panel_versions: dict[str, int] = {}
        self.reads = 0
        self.errors = 0
        self._changed = asyncio.Event()

    # -- the reader ----------------------------------------------------------------------

    async def run(self) -> None:
        """Read and fan out until cancelled."""
        last_tick = asyncio.get_running_loop().time()
        while True:
            try:
                got = await self.read_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a store hiccup must not end the feed
                self.errors += 1
                log.warning("dashboard event reader: %s", exc)
                got = 0
            now = asyncio.get_running_loop().time()
            if self.timely and now - last_tick >= self.tick:
                last_tick = now
                self.broadcast(sse({"panels": self.timely}, "tick"))
            if got < BATCH:
                await asyncio.sleep(self.poll)

    async def read_once(self) -> int:
        events = await anyio.to_thread.run_sync(self.read_since, self.last_id, BATCH)
        self.reads += 1
        if events:
            self.publish(events)
        return len(events)

    def publish(self, events: list[Event]) -> None:
        for e in events:
            for panel in self.panels_of(e.kind):
                self.panel_versions[panel] = e.id
        self.buffer.extend(events)
        self.last_id = events[-1].id
        self.broadcast(change_frame(events, self.panels_of))
        self._changed.set()
        self._changed = asyncio.Event()

    def broadcast(self, frame: bytes) -> None:
        for sub in self.subscribers:
            sub.offer(frame)

    def version(self, panel: str) -> int:
        return self.panel_versions.get(panel, 0)

    # -- subscribers ---------------------------------------------------------------------

    async def subscribe(self, since: int | None) -> tuple[Subscriber, list[bytes]]:
        """A new subscriber and the frames that bring it from event `since` to now."""
        sub = Subscriber()
        if since is None or since >= self.last_id:
            self.subscribers.add(sub)  # from here on, new batches reach its queue
            return sub, []
        if self._buffered(since):
            self.subscribers.add(sub)
            missed = [e for e in self.buffer if e.id > since]
            return sub, [RESET] if len(missed) > self.replay_limit else self._frames(missed)
        older = await anyio.to_thread.run_sync(self.read_since, since, self.replay_limit)
        self.subscribers.add(sub)
        if len(older) >= self.replay_limit:  # (there may be more than it read)
            return sub, [RESET]
        seen = older[-1].id if older else since
        if len(self.buffer) == self.buffer.maxlen and self.buffer[0].id > seen + 1:
            return sub, [RESET]  # the buffer moved on while the store was read
        return sub, self._frames(older + [e for e in self.buffer if e.id > seen])

    def _frames(self, missed: list[Event]) -> list[bytes]:
        return [change_frame(missed, self.panels_of)] if missed else []

    def _buffered(self, since: int) -> bool:
        return bool(self.buffer) and self.buffer[0].id <= since + 1

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    async def wait_changed(self) -> None:
        await self._changed.wait()


class EventStream:
    """The SSE response of one client: replay, then live frames, then gone on disconnect."""

    media_type = "text/event-stream"

    def __init__(self, hub: EventHub, since: int | None, ping: float = PING) -> None:
        self.hub = hub
        self.since = since
        self.ping = ping

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sub, replay = await self.hub.subscribe(self.since)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"x-accel-buffering", b"no"),
                    ],
                }
            )
            async with anyio.create_task_group() as tg:

                async def watch() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    tg.cancel_scope.cancel()

                tg.start_soon(watch)
                with contextlib.suppress(OSError):
                    await self._pump(sub, replay, send)
                tg.cancel_scope.cancel()
        finally:
            self.hub.unsubscribe(sub)

    async def _pump(self, sub: Subscriber, replay: list[bytes], send: Send) -> None:
        await send({"type": "http.response.body", "body": b"retry: 1000\n\n", "more_body": True})
        for frame in replay:
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        while True:
            try:
                frame = await asyncio.wait_for(sub.queue.get(), self.ping)
            except TimeoutError:
                frame = b": ping\n\n"
            await send({"type": "http.response.body", "body": frame, "more_body": True})
