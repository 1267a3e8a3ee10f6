"""The live feed in-process: one reader, frames naming panels, resumption with Last-Event-ID,
a reset for a client too far behind, bursts coalesced, and no leak on disconnect."""

from __future__ import annotations

from pathlib import Path

from webkit import dashboard_client, frames, read_until

from waiting import wait_for


def emit(ctx: object, n: int, kind: str = "work.status", subject: str = "bo-1") -> int:
    with ctx.store.transaction() as tx:  # type: ignore[attr-defined]
        for i in range(n):
            tx.emit(kind, subject, {"i": i})
    return int(ctx.events.last_id())  # type: ignore[attr-defined]


def clients(client: object) -> int:
    return int(client.get("/api/status").json()["clients"])  # type: ignore[attr-defined]


def test_a_change_reaches_a_watching_client_naming_its_panels(project: Path) -> None:
    with dashboard_client(project) as (client, ctx):
        with client.stream("GET", "/events") as stream:
            lines = stream.iter_lines()
            assert stream.headers["content-type"].startswith("text/event-stream")
            wait_for(lambda: clients(client) == 1, timeout=30)
            work = ctx.work.create("watch me")
            got = read_until(lines, ctx.events.last_id())
        change = got[-1]
        assert change["event"] == "change"
        assert change["id"] == str(change["data"]["last_id"])
        assert "work" in change["data"]["panels"]
        assert change["data"]["events"][-1]["subject"] == work.id


def test_last_event_id_replays_what_was_missed_from_memory_and_from_the_store(
    project: Path,
) -> None:
    with dashboard_client(project) as (client, ctx):
        old = emit(ctx, 5, "merge.enqueued")  # before the reader started? it is running
        wait_for(lambda: client.get("/api/status").json()["last_event_id"] == old, timeout=30)
        last = emit(ctx, 3, "run.node_completed", "r1")
        wait_for(lambda: client.get("/api/status").json()["last_event_id"] == last, timeout=30)
        for since in (old, 0):  # buffered by the reader; and older than it has seen
            with client.stream("GET", "/events", headers={"Last-Event-ID": str(since)}) as stream:
                replay = read_until(stream.iter_lines(), last)
            data = replay[-1]["data"]
            assert data["first_id"] == since + 1 and data["last_id"] == last
            assert data["count"] == last - since
            assert "runs" in data["panels"]
            assert ("merge-queue" in data["panels"]) is (since == 0)
        with client.stream(
            "GET", "/events?since=0", headers={"Last-Event-ID": str(last - 1)}
        ) as stream:
            header_wins = read_until(stream.iter_lines(), last)
        assert header_wins[-1]["data"]["count"] == 1


def test_a_client_further_behind_than_the_replay_limit_is_told_to_reload(project: Path) -> None:
    with dashboard_client(project, env={"BOSUN_DASHBOARD_REPLAY_LIMIT": "100"}) as (client, ctx):
        last = emit(ctx, 150)
        wait_for(lambda: client.get("/api/status").json()["last_event_id"] == last, timeout=30)
        with client.stream("GET", "/events", headers={"Last-Event-ID": "0"}) as stream:
            first = next(frames(stream.iter_lines()))
    assert first["event"] == "reset"


def test_a_burst_of_10000_events_arrives_as_a_few_frames(project: Path) -> None:
    with dashboard_client(project) as (client, ctx):
        with client.stream("GET", "/events") as stream:
            lines = stream.iter_lines()
            wait_for(lambda: clients(client) == 1, timeout=30)
            start = ctx.events.last_id()
            last = emit(ctx, 10_000)
            got = [f for f in read_until(lines, last) if f["event"] == "change"]
        assert 1 <= len(got) <= 5, len(got)
        assert sum(f["data"]["count"] for f in got) == last - start
        assert all(len(f["data"]["events"]) <= 50 for f in got)
        assert got[-1]["data"]["events"][-1]["data"] == {"i": 9999}
        reads = client.get("/api/status").json()["reads"]
        assert reads >= 1


def test_a_client_that_disconnects_mid_stream_leaks_nothing(project: Path) -> None:
    with dashboard_client(project) as (client, ctx):
        for _ in range(5):
            with client.stream("GET", "/events") as stream:
                lines = stream.iter_lines()
                wait_for(lambda: clients(client) >= 1, timeout=30)
                ctx.work.create("mid-stream")
                read_until(lines, ctx.events.last_id())
            # leaving the block closes the connection mid-stream
        wait_for(lambda: clients(client) == 0, timeout=30, what="subscribers to go")
        status = client.get("/api/status").json()
        assert status["read_errors"] == 0


def test_many_clients_share_one_reader(project: Path) -> None:
    with dashboard_client(project) as (client, ctx):
        reads_before = client.get("/api/status").json()["reads"]
        streams = [client.stream("GET", "/events") for _ in range(20)]
        opened = [s.__enter__() for s in streams]
        try:
            wait_for(lambda: clients(client) == 20, timeout=60)
            last = emit(ctx, 10)
            for response in opened:
                assert read_until(response.iter_lines(), last)[-1]["data"]["last_id"] == last
            status = client.get("/api/status").json()
        finally:
            for s in streams:
                s.__exit__(None, None, None)
        # the one reader polls on its own clock, not once per client
        assert status["reads"] - reads_before < 20 * 10
        wait_for(lambda: clients(client) == 0, timeout=30)
