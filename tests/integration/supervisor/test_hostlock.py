"""The host lock with real processes, real flock and real files.

Processes contend for `.bosun/supervisor.lock`; a lock recorded by a renamed host is taken
over on a local disk and refused on a network one (the `df` runner is injected so the test
does not depend on the filesystem it runs on).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bosun.base.clock import FakeClock
from bosun.base.config import default_config
from bosun.core.context import Context
from bosun.supervisor.guards import guard_attention, guard_posture
from bosun.supervisor.hostlock import (
    HostLock,
    HostLockRefused,
    audit_acquisition,
    audit_refusal,
    pid_alive,
    read_lock_record,
    run_df,
)
from bosun.supervisor.policies.lock_takeover import (
    Locality,
    LockRecord,
    TakeoverConfig,
    Verdict,
    classify_df_source,
)
from bosun.supervisor.policies.posture import Posture

HEADER = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n"
LOCAL_DF = HEADER + "/dev/sda1        479596204 123456789 331723220      28% /\n"
NFS_DF = HEADER + "fileserver:/export/home 1073741824 536870912 536870912 50% /home\n"

CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from bosun.supervisor.hostlock import HostLock, HostLockRefused
    path, hostname, df = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    lock = HostLock(path, hostname=hostname, df=lambda p: df)
    try:
        acquired = lock.acquire()
    except HostLockRefused as exc:
        print(json.dumps({"refused": exc.message}), flush=True)
        sys.exit(3)
    print(json.dumps({"acquired": str(acquired.decision.verdict)}), flush=True)
    sys.stdin.read()  # hold the lock until the test closes our stdin
    lock.release()
""")


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    try:
        yield started
    finally:
        for child in started:
            if child.poll() is None:
                child.kill()
            child.wait(timeout=30)
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    stream.close()


def spawn(
    children: list[subprocess.Popen[str]], path: Path, hostname: str, df: str = LOCAL_DF
) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), hostname, df],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    children.append(child)
    return child


def result(child: subprocess.Popen[str]) -> dict[str, str]:
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], 120)
    assert ready, "the child printed no result within 120 s"
    line = child.stdout.readline()  # the child prints one whole line right after deciding
    assert line, f"child exited without a result (rc={child.poll()})"
    data: dict[str, str] = json.loads(line)
    return data


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait(timeout=30)
    assert not pid_alive(proc.pid)
    return proc.pid


def write_record(path: Path, record: LockRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "pid": record.pid,
                "hostname": record.hostname,
                "boot_id": record.boot_id,
                "started_at": record.started_at,
                "heartbeat_at": record.heartbeat_at,
            }
        )
    )


def test_a_second_supervisor_on_the_same_host_sees_the_live_holder_and_refuses(
    tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    path = tmp_path / ".bosun" / "supervisor.lock"
    holder = spawn(children, path, "host-a")
    assert result(holder) == {"acquired": "take"}
    with pytest.raises(HostLockRefused) as info:
        HostLock(path, hostname="host-a").acquire()
    assert f"pid {holder.pid} on host host-a since " in info.value.message
    assert "bosun stop" in info.value.hint
    second = spawn(children, path, "host-a")
    assert "refused" in result(second)
    assert second.wait(timeout=60) == 3
    # the holder lets go: the lock is free again, and the file was never replaced
    inode = path.stat().st_ino
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait(timeout=60) == 0
    with HostLock(path, hostname="host-a") as lock:
        assert lock.record is not None and lock.record.pid == os.getpid()
    assert path.stat().st_ino == inode


def test_a_holder_killed_with_sigkill_frees_the_lock_at_once(
    tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    path = tmp_path / "supervisor.lock"
    holder = spawn(children, path, "host-a")
    assert result(holder) == {"acquired": "take"}
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=60)
    lock = HostLock(path, hostname="host-a")
    acquired = lock.acquire()
    try:
        assert acquired.decision.verdict == Verdict.TAKE
        assert acquired.previous is not None and acquired.previous.pid == holder.pid
        assert "has exited" in acquired.decision.reason
    finally:
        lock.release()


def test_two_processes_racing_for_a_renamed_hosts_lock_one_wins(
    tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    path = tmp_path / "supervisor.lock"
    stale = LockRecord(dead_pid(), "old-name", "boot", 1_000.0, 1_000.0)
    write_record(path, stale)
    racers = [spawn(children, path, "new-name") for _ in range(2)]
    outcomes = [result(r) for r in racers]
    winners = [o for o in outcomes if "acquired" in o]
    assert len(winners) == 1 and winners[0] == {"acquired": "take_over"}
    loser = next(o for o in outcomes if "refused" in o)
    assert "another supervisor holds" in loser["refused"]
    record = read_lock_record(path)
    assert record is not None and record.hostname == "new-name"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    from bosun.store.sqlite import SqliteStore

    clock = FakeClock()
    context = Context(
        store=SqliteStore(tmp_path / "bosun.db", clock), config=default_config(), clock=clock
    )
    try:
        yield context
    finally:
        context.close()


def test_a_renamed_hosts_dead_lock_on_local_disk_is_taken_over_and_audited(
    tmp_path: Path, ctx: Context
) -> None:
    path = tmp_path / ".bosun" / "supervisor.lock"
    old = LockRecord(
        dead_pid(), "old-name", "boot-1", ctx.clock.now() - 7200, ctx.clock.now() - 600
    )
    write_record(path, old)
    dfs: list[Path] = []

    def df(where: Path) -> str:
        dfs.append(where)
        return LOCAL_DF

    lock = HostLock(path, clock=ctx.clock, hostname="new-name", df=df)
    acquired = lock.acquire()
    try:
        assert acquired.decision.verdict == Verdict.TAKE_OVER
        assert acquired.previous == old
        assert dfs == [path.parent]
        record = read_lock_record(path)
        assert record is not None and record.hostname == "new-name"
        assert record.pid == os.getpid() and record.boot_id == lock.boot_id
        with ctx.store.transaction() as tx:
            audit_acquisition(tx, acquired, path)
        with ctx.store.transaction(write=False) as tx:
            rows = {r.guard: r for r in guard_posture(tx, ctx.config, tx.now)}
        assert rows["host_lock"].posture == Posture.ON_CONFIRMED
        [event] = ctx.events.since(0, kind="supervisor.lock_taken_over")
        assert event.data["previous"]["hostname"] == "old-name"  # type: ignore[index]
        assert "renamed host" in str(event.data["reason"])
        ctx.clock.advance(30)  # type: ignore[attr-defined]
        assert lock.refresh().heartbeat_at == ctx.clock.now()
        assert (read_lock_record(path) or old).heartbeat_at == ctx.clock.now()
    finally:
        lock.release()
    released = read_lock_record(path)
    assert released is not None and released.released_at is not None


def test_a_renamed_hosts_lock_on_a_network_disk_is_refused_loudly(
    tmp_path: Path, ctx: Context
) -> None:
    path = tmp_path / "supervisor.lock"
    old = LockRecord(dead_pid(), "old-name", "boot-1", 1_000.0, 1_000.0)
    write_record(path, old)
    before = path.read_bytes()
    probed: list[int] = []

    def probe(pid: int) -> bool:
        probed.append(pid)
        return False

    lock = HostLock(path, clock=ctx.clock, hostname="new-name", df=lambda p: NFS_DF, probe=probe)
    with pytest.raises(HostLockRefused) as info:
        lock.acquire()
    assert "not on a provably local disk (network)" in info.value.message
    assert f"rm '{path}'" in info.value.hint
    assert probed == []  # a foreign pid is never probed on a network disk
    assert path.read_bytes() == before  # fail closed: nothing rewritten
    with ctx.store.transaction() as tx:
        audit_refusal(tx, info.value, "new-name")
    [event] = ctx.events.since(0, kind="supervisor.lock_refused")
    assert event.data["holder"]["hostname"] == "old-name"  # type: ignore[index]
    with ctx.store.transaction(write=False) as tx:
        rows = {r.guard: r for r in guard_posture(tx, ctx.config, tx.now)}
        attention = guard_attention(tx, ctx.config, tx.now)
    assert rows["host_lock"].posture == Posture.ERRORED
    assert f"rm '{path}'" in rows["host_lock"].reason
    assert attention is not None and "host_lock@new-name errored" in attention
    # the refused process does not keep the flock: another can still try
    with HostLock(path, hostname="old-name"):
        pass


def test_dry_run_logs_what_it_would_do_and_rewrites_nothing(tmp_path: Path, ctx: Context) -> None:
    path = tmp_path / "supervisor.lock"
    write_record(path, LockRecord(dead_pid(), "old-name", None, 1_000.0, 1_000.0))
    before = path.read_bytes()
    lock = HostLock(
        path, TakeoverConfig(dry_run=True), ctx.clock, hostname="new-name", df=lambda p: LOCAL_DF
    )
    with pytest.raises(HostLockRefused) as info:
        lock.acquire()
    assert info.value.message.startswith("dry run: would take over")
    assert path.read_bytes() == before
    with ctx.store.transaction() as tx:
        audit_refusal(tx, info.value, "new-name")
    assert [e.kind for e in ctx.events.since(0)] == [
        "supervisor.lock_takeover_dry_run",
        "guard.errored",
    ]


def test_the_real_df_decides_locality_of_the_test_directory(tmp_path: Path) -> None:
    output = run_df(tmp_path)
    assert output is not None and output.splitlines()[0].startswith("Filesystem")
    path = tmp_path / "supervisor.lock"
    write_record(path, LockRecord(dead_pid(), "old-name", None, 1_000.0, 1_000.0))
    lock = HostLock(path, hostname="new-name")  # the real df runner
    local = classify_df_source(output) == Locality.LOCAL
    if local:
        assert lock.acquire().decision.verdict == Verdict.TAKE_OVER
        lock.release()
    else:
        with pytest.raises(HostLockRefused, match="not on a provably local disk"):
            lock.acquire()
    assert run_df(tmp_path / "does-not-exist") is None  # a failing df is "not local"


def test_an_unreadable_record_is_kept_aside_and_taken_only_on_a_local_disk(tmp_path: Path) -> None:
    path = tmp_path / "supervisor.lock"
    path.write_bytes(b"\x00garbage{")
    with pytest.raises(HostLockRefused, match="unreadable"):
        HostLock(path, hostname="host-a", df=lambda p: NFS_DF).acquire()
    assert path.read_bytes() == b"\x00garbage{"
    with HostLock(path, hostname="host-a", df=lambda p: LOCAL_DF) as lock:
        assert lock.record is not None
    [aside] = list(tmp_path.glob("supervisor.lock.corrupt-*"))
    assert aside.read_bytes() == b"\x00garbage{"


def test_an_unwritable_state_directory_is_one_clear_error(tmp_path: Path) -> None:
    from bosun.base.errors import OperationFailed

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where .bosun/ should be")
    with pytest.raises(OperationFailed, match="cannot open"):
        HostLock(blocker / "supervisor.lock", hostname="host-a").acquire()


def _session_on(ctx: Context, name: str, host: str) -> None:
    with ctx.store.transaction() as tx:
        tx.run(
            "agent_session_insert",
            role="polecat",
            name=name,
            incarnation=1,
            driver="tmux",
            socket="",
            session=f"bosun-{name}",
            target=f"bosun-{name}:0",
            pid=None,
            preset="sim",
            session_id=None,
            host=host,
            worktree=None,
            env="{}",
            started_at=tx.now,
        )


def _hosts(ctx: Context) -> dict[str, str]:
    with ctx.store.transaction(write=False) as tx:
        return {r["name"]: r["host"] for r in tx.all("agent_session_live", host=None)}


@pytest.mark.parametrize(("old_boot", "adopted"), [("boot-1", True), ("boot-0", False)])
def test_after_a_host_rename_the_same_boot_id_adopts_the_old_names_sessions(
    tmp_path: Path, ctx: Context, old_boot: str, adopted: bool
) -> None:
    path = tmp_path / ".bosun" / "supervisor.lock"
    # a reboot (another boot id) needs the stale heartbeat; the same boot id does not
    beat = ctx.clock.now() - (30 if adopted else 600)
    old = LockRecord(dead_pid(), "old-name", old_boot, ctx.clock.now() - 3600, beat)
    write_record(path, old)
    _session_on(ctx, "toast", "old-name")
    _session_on(ctx, "elsewhere", "other-host")
    lock = HostLock(
        path, clock=ctx.clock, hostname="new-name", boot_id="boot-1", df=lambda p: LOCAL_DF
    )
    acquired = lock.acquire()
    try:
        with ctx.store.transaction() as tx:
            audit_acquisition(tx, acquired, path)
    finally:
        lock.release()
    assert _hosts(ctx) == {
        "toast": "new-name" if adopted else "old-name",
        "elsewhere": "other-host",
    }
    renamed = ctx.events.since(0, kind="supervisor.host_renamed")
    assert len(renamed) == int(adopted)
    if adopted:
        assert renamed[0].data == {"old_host": "old-name", "boot_id": "boot-1", "sessions": 1}
