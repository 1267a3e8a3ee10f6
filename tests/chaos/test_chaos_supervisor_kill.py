"""Campaign (c): kill -9 the supervisor at random moments, round after round.

A real project (git, SQLite, tmux on the test's own socket) runs several sim agents, each
working a long task script whose first run crashes (a scripted fault). Every round starts
`bosun supervise` (with its merge-queue and trigger-worker loops) in its own process group
and SIGKILLs it — sometimes the whole process tree, sometimes only the supervisor, leaving
its children orphaned — at a chosen moment: just after start, after reconcile, the instant a
crash is detected, while the ladder restarts a crashed agent, right after the restart
recorded the new incarnation, or at a random time. Agents are also crashed while no
supervisor runs. A final undisturbed supervisor settles everything. Then: every crash ended
recovered or escalated/quarantined with its event, no identity with two live sessions or an
unrecorded agent process, no process of a killed supervisor left, lock and session rows
consistent, every pinned work item still on its hook, no traceback in any supervisor log."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chaosmode import LONG, figures, size

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "supervisor"))

from suprig import FAST, Rig, open_rig  # noqa: E402

from waiting import wait_for  # noqa: E402

pytestmark = [pytest.mark.tmux, pytest.mark.slow]

ROUNDS = size(5, 40)
AGENTS = size(3, 4)
STEPS = size(40, 200)  # 3 s each: the agents are busy for the whole campaign
SCRIPTED_EXIT = 9  # the exit code of the scripted crash (an injected one is SIGKILL)
ENV = {
    **FAST,
    "BOSUN_SUPERVISOR_STALL_AFTER": "60",  # only crashes drive the ladder here
    "BOSUN_SUPERVISOR_WAITING_AFTER": "60",
    "BOSUN_IDENTITY_STALE_AFTER": "60",
    "BOSUN_SUPERVISOR_RECOVERY_VERIFY_WITHIN": "20",
    "BOSUN_SUPERVISOR_RECOVERY_MAX_RESTARTS": "100",
    "BOSUN_TRIGGERS_ENABLED": "true",
}
MOMENTS = ("start", "reconciled", "detected", "recovering", "launched", "anytime")
CRASH_MOMENTS = {  # moments that crash an agent first, and the event to kill after
    "detected": "supervisor.crashed_detected",
    "recovering": "supervisor.recovery_started",
    "launched": "identity.incarnation",
}


@pytest.fixture
def rig(project: Path, tmux_socket: str) -> Iterator[Rig]:
    with open_rig(project, tmux_socket, ENV) as rig:
        try:
            yield rig
        finally:
            for pid in _project_processes(project):  # whatever a failing test left behind
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


# -- processes ----------------------------------------------------------------------------


def _stat(pid: int | str) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, ppid, pgrp, …)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _live_pids() -> Iterator[tuple[int, list[str]]]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(entry.name)
            if fields is not None and fields[0] != "Z":
                yield int(entry.name), fields


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, fields in _live_pids():
        children.setdefault(int(fields[1]), []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _group(pgid: int) -> list[int]:
    return [pid for pid, fields in _live_pids() if int(fields[2]) == pgid]


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _project_processes(root: Path) -> list[int]:
    me = os.getpid()
    return [
        pid for pid, _ in _live_pids() if pid != me and _environ(pid).get("BOSUN_HOME") == str(root)
    ]


def _agent_processes(root: Path) -> dict[str, list[tuple[int, int]]]:
    """The sim agents running for this project: identity -> [(pid, incarnation)]."""
    found: dict[str, list[tuple[int, int]]] = {}
    for pid in _project_processes(root):
        if "sim-agent" not in _cmdline(pid):
            continue
        env = _environ(pid)
        ref = env.get("BOSUN_IDENTITY")
        if ref:
            found.setdefault(ref, []).append((pid, int(env.get("BOSUN_INCARNATION", "0"))))
    return found


def _alive(pid: int | None) -> bool:
    fields = _stat(pid) if pid else None
    return fields is not None and fields[0] != "Z"


# -- the campaign -------------------------------------------------------------------------


class Campaign:
    def __init__(self, rig: Rig, names: list[str], rng: random.Random) -> None:
        self.rig = rig
        self.names = names
        self.rng = rng
        self.logs: list[Path] = []
        self.killed_groups: list[int] = []  # the groups of supervisors killed alone
        self.kills = 0
        self.tree_kills = 0
        self.injected: list[tuple[str, int]] = []  # (identity, incarnation) killed
        self.moments: dict[str, int] = {}

    def supervise(self) -> subprocess.Popen[bytes]:
        log = self.rig.root / ".bosun" / "logs" / f"chaos-sup-{len(self.logs)}.log"
        self.logs.append(log)
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bosun", "supervise", "--merge-queue"],
                cwd=self.rig.root,
                env=self.rig.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self.rig.supervisors.append(proc)
        return proc

    def reconciled(self, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
        """Until this supervisor holds the lock and has reconciled."""

        def started() -> bool:
            assert proc.poll() is None, f"supervisor exited: {self.logs[-1].read_text()}"
            ours = [
                e for e in self.rig.events("supervisor.started") if e.data.get("pid") == proc.pid
            ]
            return bool(ours) and bool(
                [e for e in self.rig.events("supervisor.reconciled") if e.id > ours[-1].id]
            )

        wait_for(started, timeout=timeout, interval=0.05, what="the supervisor to reconcile")

    def crash_one(self) -> str | None:
        """SIGKILL a running agent; returns its identity (None when none is)."""
        candidates = []
        for name in self.names:
            session = self.rig.session(name)
            # running for a moment (a restart killed before the ready screen leaves
            # `ready_at` empty for good, so that is not asked for)
            if (
                session
                and session.live
                and time.time() - session.started_at > 2.0
                and _alive(session.pid)
            ):
                candidates.append(session)
        if not candidates:
            return None
        session = self.rng.choice(candidates)
        with contextlib.suppress(ProcessLookupError):
            os.kill(session.pid, signal.SIGKILL)
        self.injected.append((str(session.ref), int(session.incarnation)))
        return str(session.ref)

    def until_moment(self, proc: subprocess.Popen[bytes], moment: str) -> str:
        """Wait for `moment` (then a little more); returns the moment reached."""
        rng = self.rng
        if moment == "start":
            time.sleep(rng.uniform(0.0, 1.5))
            return moment
        self.reconciled(proc)
        if moment == "reconciled":
            time.sleep(rng.uniform(0.0, 0.3))
            return moment
        if moment in CRASH_MOMENTS:
            mark = self.rig.last_event_id()
            ref = self.crash_one()
            if ref is not None:
                kind = CRASH_MOMENTS[moment]
                deadline = time.monotonic() + 20
                while proc.poll() is None and time.monotonic() < deadline:
                    if self.rig.events(kind, ref, since=mark):
                        break
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.15 if moment != "recovering" else 0.8))
                return moment
            moment = "anytime"
        time.sleep(rng.uniform(0.3, 4.0))
        return moment

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is not None:
            return
        if self.kills % 2:  # every other kill: the whole tree, the group and every descendant
            for pid in [proc.pid, *_descendants(proc.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            self.tree_kills += 1
        else:  # the supervisor alone: its children are orphaned
            os.kill(proc.pid, signal.SIGKILL)
            self.killed_groups.append(proc.pid)
        self.kills += 1
        proc.wait(timeout=30)


def _work_steps() -> list[dict[str, Any]]:
    return [{"phase": "executing"}, *({"work": 3} for _ in range(STEPS))]


def _settled(rig: Rig, names: list[str]) -> bool:
    """Every agent runs its recorded incarnation, or its identity ended on the record. (A
    restart killed after it recorded the session but before its ready screen leaves
    `ready_at` empty for good; the supervisor watches that session all the same.)"""
    for name in names:
        identity = rig.identity(name)
        if str(identity.status) == "quarantined":
            continue
        session = rig.session(name)
        running = session is not None and session.live and _alive(session.pid)
        if (
            running
            and str(identity.status) == "active"
            and identity.incarnation == (session.incarnation if session else -1)
        ):
            continue
        escalated = rig.events("supervisor.escalated", f"polecat/{name}")
        ended = [e for e in rig.events("agent.ended", f"polecat/{name}")]
        if escalated and ended and escalated[-1].id > ended[-1].id:
            continue
        return False
    return True


@pytest.mark.timeout(3600 if LONG else 600)
def test_kill_9_of_the_supervisor_loses_no_agent_and_leaves_no_orphan(rig: Rig) -> None:
    started = time.monotonic()
    rng = random.Random(int(os.environ.get("BOSUN_CHAOS_SEED", "18")))
    names = [f"a{i}" for i in range(AGENTS)]
    work = {}
    for name in names:
        work[name] = rig.work(
            f"task of {name}",
            _work_steps(),
            faults={"crash_at_step": 3, "exit_code": SCRIPTED_EXIT, "once": True},
        )
        rig.spawn(name, work[name])
    camp = Campaign(rig, names, rng)
    for _ in range(ROUNDS):
        if rng.random() < 0.3:  # a crash while no supervisor runs
            camp.crash_one()
        proc = camp.supervise()
        moment = camp.until_moment(proc, rng.choice(MOMENTS))
        if proc.poll() is None:
            camp.moments[moment] = camp.moments.get(moment, 0) + 1
        camp.kill(proc)

    final = camp.supervise()  # undisturbed: settles every agent
    camp.reconciled(final)
    wait_for(lambda: _settled(rig, names), timeout=180, interval=0.5, what="every agent to settle")
    guards = {g["guard"]: g for g in rig.ok("guards")["guards"]}
    os.kill(final.pid, signal.SIGTERM)
    assert final.wait(timeout=60) == 0, camp.logs[-1].read_text()[-3000:]

    refs = [f"polecat/{name}" for name in names]
    # crashes: every crash the supervisors detected (each injected kill among them, and
    # each agent's scripted fault fired once), and what followed each
    detected: dict[tuple[str, int], Any] = {}
    for e in rig.events("supervisor.crashed_detected"):
        detected.setdefault((e.subject, e.data["incarnation"]), e)
    missed = [c for c in camp.injected if c not in detected]
    scripted = [rig.transcript(name).count("✗ sim: simulated crash") for name in names]
    recovered = escalated = 0
    unresolved = []
    for (ref, incarnation), crash in detected.items():
        later = [  # a later incarnation started (the settled check saw the last one run)
            e for e in rig.events("agent.launched", ref) if e.data["incarnation"] > incarnation
        ]
        ended_on_record = [
            e
            for e in rig.events("supervisor.", ref)
            if e.kind in ("supervisor.escalated", "supervisor.quarantined") and e.id > crash.id
        ]
        if later:
            recovered += 1
        elif ended_on_record:
            escalated += 1
        else:
            unresolved.append((ref, crash.data))

    # duplicates: per identity at most one live session row, unique incarnations, and the
    # only agent process is the one the live row names
    duplicates = []
    processes = _agent_processes(rig.root)
    tmux = set(rig.tmux_sessions())
    for name, ref in zip(names, refs, strict=True):
        rows = rig.sessions(name)
        live = [r for r in rows if r["ended_at"] is None]
        incarnations = [r["incarnation"] for r in rows]
        if len(live) > 1 or len(incarnations) != len(set(incarnations)):
            duplicates.append((ref, "rows", rows))
        expected = [(r["pid"], r["incarnation"]) for r in live if _alive(r["pid"])]
        if sorted(processes.get(ref, [])) != sorted(expected):
            duplicates.append((ref, "processes", processes.get(ref), expected))
        if live and live[0]["session"] not in tmux:
            duplicates.append((ref, "no tmux session", live[0]["session"]))
    known = {r["session"] for name in names for r in rig.sessions(name)}
    duplicates += [("unknown tmux session", s) for s in tmux - known]

    # orphans: nothing left of a supervisor killed alone (its own group), nor any other
    # `bosun supervise` of this project
    def orphans() -> list[int]:
        left = [pid for pgid in camp.killed_groups for pid in _group(pgid)]
        left += [pid for pid in _project_processes(rig.root) if " supervise" in _cmdline(pid)]
        return left

    with contextlib.suppress(AssertionError):
        wait_for(lambda: not orphans(), timeout=15, what="orphans of killed supervisors to end")
    left = orphans()

    # the host lock: every supervisor that started took it (a dead holder's lock is taken),
    # none was refused, and the last one released it
    starts = rig.events("supervisor.started")
    acquired = rig.events("supervisor.lock_acquired") + rig.events("supervisor.lock_taken_over")
    refused = rig.events("supervisor.lock_refused")
    record = rig.ctx.paths.supervisor_lock.read_text()
    lock_ok = (
        len(acquired) == len(starts)
        and not refused
        and f'"pid": {final.pid}' in record
        and '"released_at": null' not in record
    )
    hosted_ok = all(
        guards[name]["runtime"] and guards[name]["runtime"]["error"] is None
        for name in ("merge_queue", "trigger_workers")
    )

    # no work lost: each agent's work item is still on its hook (or done)
    lost = []
    for name in names:
        hook = rig.hook(name)
        item = rig.ctx.work.get(work[name])
        if (hook is None or hook.work_id != work[name]) and str(item.status) not in (
            "merged",
            "closed",
        ):
            lost.append((name, hook, item.status))
    tracebacks = [str(p) for p in camp.logs if "Traceback" in p.read_text(errors="replace")]

    figures(
        "supervisor-kill",
        rounds=ROUNDS,
        kills=camp.kills,
        tree_kills=camp.tree_kills,
        crashes_injected=len(camp.injected) + sum(scripted),
        recovered=recovered,
        escalated=escalated,
        duplicates=len(duplicates),
        orphans=len(left),
        lost=len(lost),
        moments="/".join(f"{k}:{v}" for k, v in sorted(camp.moments.items())),
        seconds=round(time.monotonic() - started, 1),
    )
    assert unresolved == [], unresolved
    assert missed == [], missed
    assert max(scripted) <= 1  # a `once` fault never fires again in a later incarnation
    assert duplicates == [], duplicates
    assert left == [], [(pid, _cmdline(pid)) for pid in left]
    assert lock_ok, (len(acquired), len(starts), refused, record)
    assert hosted_ok, guards
    assert lost == [], lost
    assert tracebacks == [], tracebacks
