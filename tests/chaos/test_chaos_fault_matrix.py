"""Campaign (c): the fault matrix (issue 18).

Each fault is applied to a real project — a git repository in tmp, a real SQLite store
(PostgreSQL for the PostgreSQL faults), a finished pipeline run — and the commands that meet
it run as subprocesses. For every case: a refusal is one `error:` line naming the problem
(plus a `hint:` with the fix) and a non-zero exit, or bosun recovers by itself; never a
traceback or an internal error; and nothing is lost (identities, work items, hooks, merge
requests and branches are what they were, and a broken file is kept, never reset).
The long mode repeats the corrupt-file faults with random truncation points and random
bytes (BOSUN_CHAOS_SEED picks the sequence)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from chaosmode import LONG, figures, size
from faultkit import (
    Project,
    Tally,
    bosun_with,
    can_mount,
    essentials,
    garbage,
    half_written,
    read_json,
    run_module,
    seed_project,
    small_disk,
)

from gitrepo import git

ROUNDS = size(1, 3)  # rounds of the corrupt-file faults (random cuts and bytes after the first)
PASSWORD = "s3cretpw"
FAST_SQLITE = "import bosun.store.sqlite as s; s.BUSY_TIMEOUT_S = 1.0"
FAST_PG = (
    "import bosun.store.postgres as p; p.LOCK_TIMEOUT_MS = 1000; "
    "p.SESSION = p.SESSION.replace('lock_timeout = 60000', 'lock_timeout = 1000')"
)

Fault = Callable[["Matrix", random.Random, bool], None]


class Matrix:
    """The campaign's state: where projects go, the tally, optional PostgreSQL and tmux."""

    def __init__(self, scratch: Path, tally: Tally, request: pytest.FixtureRequest) -> None:
        self.scratch = scratch
        self.tally = tally
        self.request = request
        self.count = 0
        self.can_mount = can_mount(scratch)

    def project(self, *, run: bool = False, env: dict[str, str] | None = None) -> Project:
        self.count += 1
        return seed_project(self.scratch / f"p{self.count}", env, run=run)

    def pg_url(self) -> str | None:
        try:
            return str(self.request.getfixturevalue("pg_url"))
        except pytest.skip.Exception:
            return None


# -- corrupt files ------------------------------------------------------------------------


def config_garbage(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project()
    before = essentials(p)
    p.home.joinpath("config.toml").write_bytes(b"[[[ " + garbage(rng, randomized))
    m.tally.refused("config garbage", p("work", "list"), 2, "config.toml")
    m.tally.refused("config garbage", p("supervise", "--once"), 2, "config.toml")
    p.home.joinpath("config.toml").write_text("")
    m.tally.kept("config garbage", before, essentials(p))


def config_directory(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project()
    before = essentials(p)
    config = p.home / "config.toml"
    config.unlink()
    config.mkdir()
    m.tally.refused("config directory", p("work", "list"), 2, "config.toml", "directory")
    config.rmdir()
    m.tally.kept("config directory", before, essentials(p))


def config_wrong_types(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project()
    before = essentials(p)
    config = p.home / "config.toml"
    for text, key in (
        ("[identity]\nstale_after = [1, 2]\n", "identity.stale_after"),
        ("[supervisor]\ntick_interval = \"soon\"\n", "supervisor.tick_interval"),
        ("database_url = 5\n", "database_url"),
        ("identity = 3\n", "identity"),
    ):
        config.write_text(text)
        m.tally.refused("config wrong types", p("work", "list"), 2, key)
    config.write_text("")
    m.tally.kept("config wrong types", before, essentials(p))


def preset_garbage(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project()
    presets = p.home / "runtimes"
    presets.mkdir(exist_ok=True)
    (presets / "mine.toml").write_bytes(b"argv = [" + garbage(rng, randomized))
    m.tally.refused("runtime preset garbage", p("runtimes", "list"), 2, "mine.toml")
    m.tally.refused("runtime preset garbage", p("runtimes", "show", "mine"), 2, "mine.toml")
    (presets / "mine.toml").write_text('argv = "not a list"\n')
    m.tally.refused("runtime preset garbage", p("runtimes", "show", "mine"), 2, "mine.toml",
                    "argv")
    m.tally.worked("runtime preset garbage", p("work", "list"))  # the rest still works


def _quiet_db(p: Project) -> bytes:
    """The database file alone (its WAL checkpointed into it by the last close)."""
    for extra in ("-wal", "-shm"):
        wal = Path(f"{p.db}{extra}")
        assert not wal.exists() or extra == "-shm" or wal.stat().st_size == 0, wal
        wal.unlink(missing_ok=True)
    return p.db.read_bytes()


def db_truncated(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project()
    data = _quiet_db(p)
    for cut in (len(data) // 3 if not randomized else rng.randrange(1, len(data)), 0):
        p.db.write_bytes(data[:cut])
        result = p("work", "list")
        if cut and result.code == 0:  # a cut past every page `work list` reads
            m.tally.worked("database truncated", result)
        else:
            words = ("bosun.db", "empty") if cut == 0 else ("bosun.db",)
            m.tally.refused("database truncated", result, 1, *words)
        if cut < 4096:  # not even the first page: every command refuses, the fast ones too
            m.tally.refused("database truncated", p("identity", "list"), 1, "bosun.db")
        m.tally.check("database truncated", p.db.read_bytes() == data[:cut],
                      f"bosun changed the truncated database (cut at {cut})")
    p.db.write_bytes(data)


def db_not_a_database(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project()
    data = _quiet_db(p)
    for junk in (b"just some notes\n" * 300, garbage(rng, randomized, 20000) * 3):
        if junk.startswith(b"SQLite format 3\x00"):
            continue
        p.db.write_bytes(junk)
        m.tally.refused("not a database", p("work", "list"), 1, "bosun.db", "not a SQLite")
        m.tally.refused("not a database", p("supervise", "--once"), 1, "bosun.db")
        m.tally.check("not a database", p.db.read_bytes() == junk, "bosun rewrote the file")
        m.tally.check("not a database", sorted(x.name for x in p.home.glob("bosun.db*"))
                      == ["bosun.db"], "bosun created files beside a foreign file")
    p.db.write_bytes(data)


def checkpoint_half_written(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project(run=True)
    before = essentials(p)
    checkpoint = p.run_dir() / "checkpoint.json"
    torn = half_written(checkpoint.read_bytes(), rng, randomized)
    checkpoint.write_bytes(torn)
    m.tally.worked("checkpoint half-written", p("run", "status", "r1", "--json"))
    m.tally.worked("checkpoint half-written", p("run", "list", "--json"))
    result = p("run", "resume", "--logs-root", str(p.run_dir()))
    m.tally.refused("checkpoint half-written", result, 1, "checkpoint.json", "moved it to")
    m.tally.check("checkpoint half-written", "start the run again" in result.err,
                  f"the hint does not say what to do: {result.err!r}")
    [aside] = p.run_dir().glob("checkpoint.json.corrupt-*")
    m.tally.check("checkpoint half-written", aside.read_bytes() == torn, "moved file differs")
    m.tally.kept("checkpoint half-written", before, essentials(p))


def git_json_half_written(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project(run=True)
    before = essentials(p)
    info = p.run_dir() / "git.json"
    worktree = Path(read_json(info)["worktree"])
    info.write_bytes(half_written(info.read_bytes(), rng, randomized))
    m.tally.refused("git.json half-written", p("run", "resume", "--logs-root",
                                                str(p.run_dir())), 2, "git.json")
    pruned = p("run", "prune", "--json")
    m.tally.worked("git.json half-written", pruned)
    m.tally.check("git.json half-written", pruned.code == 0 and any(
        not r["removed"] and "git.json" in r["reason"] for r in pruned.json),
        f"prune does not say why it kept the run: {pruned.out!r}")
    m.tally.check("git.json half-written", worktree.is_dir(), "prune removed the worktree")
    m.tally.kept("git.json half-written", before, essentials(p))


def final_json_half_written(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project(run=True)
    before = essentials(p)
    final = p.run_dir() / "final.json"
    final.write_bytes(half_written(final.read_bytes(), rng, randomized))
    m.tally.worked("final.json half-written", p("run", "status", "r1", "--json"))
    m.tally.worked("final.json half-written", p("run", "list", "--json"))
    resumed = p("run", "resume", "--logs-root", str(p.run_dir()))
    m.tally.worked("final.json half-written", resumed, recovered=True, code=1)  # b fails again
    m.tally.check("final.json half-written", read_json(final)["status"] == "fail",
                  "resume did not write a whole final.json")
    m.tally.kept("final.json half-written", before, essentials(p))


def runner_spec_garbage(m: Matrix, rng: random.Random, randomized: bool) -> None:
    """The chain's runner spec (`python -m bosun.chain.runner SPEC`, as the guardian runs it)."""
    p = m.project(run=True)
    runners = p.run_dir() / "runners"
    runners.mkdir()
    spec = runners / "r1-impl.spec.json"
    whole = json.dumps({"run_id": "r1", "node_id": "impl", "name": "r1-impl",
                        "project_root": str(p.root), "logs_root": str(p.run_dir())}).encode()
    for content, words in ((half_written(whole, rng, randomized), ("is not valid JSON",)),
                           (whole, ("not a runner spec",))):
        spec.write_bytes(content)
        result = run_module("bosun.chain.runner", str(spec), cwd=p.root)
        m.tally.refused("runner spec garbage", result, None, str(spec), *words,
                        prefix="bosun runner: ")
    m.tally.check("runner spec garbage", len(list(runners.glob("*.corrupt-*"))) >= 1,
                  "the torn spec was not kept aside")


def launch_spec_garbage(m: Matrix, rng: random.Random, randomized: bool) -> None:
    """The tmux launch spec (argv, cwd, environment: it may hold secrets)."""
    spec = m.scratch / f"launch-{m.count}.json"
    m.count += 1
    whole = json.dumps({"argv": ["true"], "cwd": "/", "env": {"TOKEN": "x"}}).encode()
    spec.write_bytes(half_written(whole, rng, randomized))
    result = run_module("bosun.runtime.launch", str(spec), cwd=m.scratch)
    m.tally.refused("launch spec garbage", result, 127, "cannot read", str(spec),
                    prefix="bosun launch: ")
    m.tally.check("launch spec garbage", not spec.exists(), "the unreadable spec was left")


def host_lock_garbage(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project()
    lock, pid_file = p.home / "supervisor.lock", p.home / "supervisor.pid"
    junk = garbage(rng, randomized)
    lock.write_bytes(junk)
    pid_file.write_bytes(garbage(rng, randomized))
    result = p("supervise", "--once", "--no-merge-queue")
    m.tally.worked("host lock garbage", result, recovered=True)
    m.tally.check("host lock garbage", "unreadable record" in result.err and "copied it to"
                  in result.err, f"no warning naming the lock: {result.err!r}")
    copies = list(p.home.glob("supervisor.lock.corrupt-*"))
    m.tally.check("host lock garbage", [c.read_bytes() for c in copies] == [junk],
                  "the unreadable record was not kept")
    m.tally.check("host lock garbage", read_json(lock)["released_at"] is not None,
                  "the lock holds no valid record afterwards")
    m.tally.refused("pid file garbage", p("stop"), 2, "no supervisor is running")


def dot_empty_or_binary(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project()
    for name, content, words in (
        ("empty.dot", b"", ("expected 'digraph'",)),
        ("binary.dot", b"digraph G { \xff\xfe" + garbage(rng, randomized), ("cannot read graph",)),
    ):
        before = essentials(p)
        graph = p.root / name
        graph.write_bytes(content)
        m.tally.refused("DOT file " + name, p("run", "validate", name), 2, name, *words)
        m.tally.refused("DOT file " + name, p("run", "start", name), 2, name, *words)
        # detached: refused the same way before anything exists
        m.tally.refused("DOT file " + name, p("run", "start", name, "--detach"), 2, name, *words)
        m.tally.kept("DOT file " + name, before, essentials(p))


# -- the environment ------------------------------------------------------------------------


HOLD_SQLITE = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


def _holder(code: str, *args: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    if holder.poll() is None:
        assert holder.stdin is not None
        holder.stdin.close()
    holder.wait(timeout=30)
    if holder.stdout is not None:
        holder.stdout.close()


def sqlite_locked(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project()
    before = essentials(p)
    holder = _holder(HOLD_SQLITE, str(p.db))
    try:
        m.tally.worked("SQLite locked", bosun_with(p.root, FAST_SQLITE, "work", "list"))
        m.tally.refused("SQLite locked", bosun_with(p.root, FAST_SQLITE, "work", "create", "x"),
                        1, "bosun.db", "stayed locked")
    finally:
        _release(holder)
    m.tally.kept("SQLite locked", before, essentials(p))
    m.tally.worked("SQLite locked", p("work", "create", "after the lock"), recovered=True)


HOLD_PG = """
import sys, psycopg
conn = psycopg.connect(sys.argv[1])
conn.execute("LOCK TABLE work_items IN EXCLUSIVE MODE")
print("held", flush=True)
sys.stdin.read()
conn.rollback()
"""


def postgres_locked(m: Matrix, rng: random.Random, randomized: bool) -> None:
    url = m.pg_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable")
    env = {"BOSUN_DATABASE_URL": url}
    p = m.project(env=env)
    before = essentials(p)
    holder = _holder(HOLD_PG, url)
    try:
        m.tally.refused("PostgreSQL locked",
                        bosun_with(p.root, FAST_PG, "work", "create", "x", env=env),
                        1, "waited", "another writer")
    finally:
        _release(holder)
    m.tally.kept("PostgreSQL locked", before, essentials(p))


def postgres_unreachable(m: Matrix, rng: random.Random, randomized: bool) -> None:
    p = m.project()
    for url, code, words in (
        (f"postgresql://fleet:{PASSWORD}@127.0.0.1:1/fleet", 1, ("127.0.0.1:1",)),
        (f"host=127.0.0.1 port=1 user=fleet password={PASSWORD} dbname=fleet", 2,
         ("not a PostgreSQL URL",)),
        (f"postgresql://fleet:{PASSWORD}%zz@127.0.0.1:1/fleet", 2, ("malformed %-escape",)),
    ):
        env = {"BOSUN_DATABASE_URL": url}
        result = p("work", "list", env=env)
        m.tally.refused("PostgreSQL unreachable", result, code, *words)
        verbose = p("-v", "work", "list", env=env)  # the traceback, too, has no password
        for shown in (result, verbose):
            m.tally.check("PostgreSQL unreachable", PASSWORD not in shown.out + shown.err,
                          f"the password is shown: {shown.err[-300:]!r}")


def disk_full(m: Matrix, rng: random.Random, randomized: bool) -> None:
    if not m.can_mount:
        pytest.skip("cannot mount a tmpfs here")
    with small_disk(m.scratch / f"disk{m.count}") as disk:
        p = m.project()
        shutil.copytree(p.root, disk / "repo", symlinks=True)
        p = Project(disk / "repo", type(p.bosun)(disk / "repo"), p.work_id)
        before = essentials(p)
        spare = rng.randrange(0, 64 << 10) if randomized else 0
        ballast = disk / "ballast"
        with open(ballast, "wb") as fh:  # fill the disk, then give back `spare` bytes
            try:
                while True:
                    fh.write(b"\0" * (1 << 16))
            except OSError:
                pass
        with open(ballast, "r+b") as fh:
            fh.truncate(max(0, ballast.stat().st_size - spare))
        result = p("work", "create", "on a full disk", "--body", "-", stdin="x" * 200_000)
        m.tally.refused("disk full", result, 1, "bosun.db", "is full")
        ballast.unlink()
        m.tally.kept("disk full", before, essentials(p))
        m.tally.worked("disk full", p("work", "create", "after freeing space"), recovered=True)


def read_only_project(m: Matrix, rng: random.Random, randomized: bool) -> None:
    if not m.can_mount:
        pytest.skip("cannot mount a tmpfs here")
    with small_disk(m.scratch / f"ro{m.count}") as disk:
        p = m.project()
        shutil.copytree(p.root, disk / "repo", symlinks=True)
        p = Project(disk / "repo", type(p.bosun)(disk / "repo"), p.work_id)
        before = essentials(p)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        for args in (("work", "list"), ("work", "create", "x"), ("supervise", "--once")):
            m.tally.refused("read-only project", p(*args), 1, "bosun.db", "read-only")
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        m.tally.kept("read-only project", before, essentials(p))


def git_index_lock(m: Matrix, rng: random.Random, randomized: bool) -> None:
    """index.lock held on the user's checkout of main while the merge queue lands on it."""
    p = m.project()
    config = p.home / "config.toml"
    config.write_text(config.read_text() + '\n[merge_queue]\ngates = ["true"]\n')
    git(p.root, "checkout", "-q", "-b", "feat/x")
    (p.root / "x.txt").write_text("x\n")
    git(p.root, "add", "x.txt")
    git(p.root, "commit", "-q", "-m", "x")
    git(p.root, "checkout", "-q", "main")
    m.tally.worked("git index.lock", p("merge-queue", "enqueue", "feat/x"))
    lock = p.root / ".git" / "index.lock"
    lock.touch()
    landed = p("merge-queue", "process")
    m.tally.worked("git index.lock", landed)
    status = p("status")
    m.tally.check("git index.lock", "index.lock" in status.out and "read-tree" in status.out,
                  f"status does not say the checkout is behind: {status.out[-500:]!r}")
    lock.unlink()
    m.tally.worked("git index.lock", p("merge-queue", "process"), recovered=True)
    m.tally.check("git index.lock", (p.root / "x.txt").exists() and not git(
        p.root, "status", "--porcelain", "--untracked-files=no"), "the checkout stayed behind")


def tmux_server_killed(m: Matrix, rng: random.Random, randomized: bool) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "supervisor"))
    from suprig import FAST, Rig  # the supervisor tests' rig: sim agents in real tmux

    socket = m.request.getfixturevalue("tmux_socket")
    p = m.project()
    env = {**os.environ, **FAST, "BOSUN_HOME": str(p.root), "BOSUN_RUNTIME_TMUX_SOCKET": socket}
    env.pop("BOSUN_IDENTITY", None)
    rig = Rig(p.root, socket, env)
    try:
        work = rig.work("Task", [{"phase": "executing"}, {"work": 30}])
        rig.supervise()
        rig.spawn("crumb", work)
        before = essentials(p)
        rig.tmux("kill-server")
        rig.incarnation_ready("crumb", 2)
        m.tally.cases += 1
        m.tally.recovered += 1
        m.tally.check("tmux killed", rig.tmux_sessions() == ["bosun-polecat-crumb"],
                      f"sessions after the restart: {rig.tmux_sessions()}")
        m.tally.check("tmux killed", all(p.poll() is None for p in rig.supervisors),
                      "the supervisor died with the tmux server")
        m.tally.kept("tmux killed", _ids(before), _ids(essentials(p)))
    finally:
        rig.close()


def _ids(rows: dict[str, object]) -> dict[str, object]:
    """Which identities, work items, hooks and branches exist (a live agent moves the rest)."""
    keys = {"identities": 2, "work_items": 2, "hooks": 2, "merge_requests": 2}
    out: dict[str, object] = {"branches": rows["branches"]}
    for table, n in keys.items():
        out[table] = sorted(row[:n] for row in rows[table])  # type: ignore[attr-defined]
    return out


CORRUPT_FILES: list[Fault] = [
    config_garbage, config_directory, config_wrong_types, preset_garbage, db_truncated,
    db_not_a_database, checkpoint_half_written, git_json_half_written, final_json_half_written,
    runner_spec_garbage, launch_spec_garbage, host_lock_garbage, dot_empty_or_binary,
]
ENVIRONMENT: list[Fault] = [
    sqlite_locked, postgres_locked, postgres_unreachable, disk_full, read_only_project,
    git_index_lock, tmux_server_killed,
]


@pytest.fixture
def matrix(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Matrix]:
    yield Matrix(tmp_path, Tally(), request)


@pytest.mark.timeout(3600 if LONG else 900)
def test_fault_matrix_gives_clear_errors_and_loses_nothing(matrix: Matrix) -> None:
    started = time.monotonic()
    rng = random.Random(int(os.environ.get("BOSUN_CHAOS_SEED", "18")))
    skipped: list[str] = []
    for round_no in range(ROUNDS):
        for fault in CORRUPT_FILES + (ENVIRONMENT if round_no == 0 else []):
            def body(fault: Fault = fault, randomized: bool = round_no > 0) -> None:
                fault(matrix, rng, randomized)
            try:
                matrix.tally.fault(fault.__name__, body)
            except pytest.skip.Exception as exc:
                skipped.append(f"{fault.__name__} ({exc.msg})")
    t = matrix.tally
    faults = len(CORRUPT_FILES) + len(ENVIRONMENT) - len(skipped)
    figures(
        "fault-matrix",
        faults=faults,
        rounds=ROUNDS,
        cases=t.cases,
        clear_errors=t.clear,
        recovered=t.recovered,
        unaffected=t.unaffected,
        tracebacks=t.tracebacks,
        lost=t.lost,
        skipped=len(skipped),
        seconds=f"{time.monotonic() - started:.1f}",
    )
    if skipped:
        print("skipped: " + "; ".join(skipped))
    assert not t.problems, "\n".join(t.problems)
    assert t.tracebacks == 0 and t.lost == 0
