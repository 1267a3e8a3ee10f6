"""The supervisor test rig: a real project, sim agents in real tmux on the test's own socket, and
`bosun supervise` as a real process — all stopped and removed afterwards.

Timings are made small through the environment (the supervisor and every agent it starts
read the same `BOSUN_*` settings), so a test sees a stall in seconds, not minutes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from waiting import wait_for

FAST = {
    "BOSUN_SUPERVISOR_TICK_INTERVAL": "0.2",
    "BOSUN_IDENTITY_STALE_AFTER": "30",
    "BOSUN_SUPERVISOR_STALL_AFTER": "3",
    "BOSUN_SUPERVISOR_WAITING_AFTER": "3",
    "BOSUN_SUPERVISOR_RECOVERY_VERIFY_WITHIN": "6",
    "BOSUN_SUPERVISOR_RECOVERY_RESTART_DELAY": "0.1",
    "BOSUN_SUPERVISOR_RECOVERY_RESTART_MAX_DELAY": "0.2",
    "BOSUN_SUPERVISOR_PATROL_INTERVAL": "600",
    "BOSUN_SUPERVISOR_PATROL_COMPLIANCE_WINDOW": "5",
}


def task_body(steps: list[dict[str, Any]], **extra: Any) -> str:
    return "```bosun-task\n" + json.dumps({"steps": steps, **extra}) + "\n```\n"


@dataclass
class Rig:
    root: Path
    socket: str
    env: dict[str, str]
    supervisors: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _ctx: Any = None

    # -- the CLI --------------------------------------------------------------------------

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Any:
        return subprocess.run(
            [sys.executable, "-m", "bosun", *args],
            cwd=self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ok(self, *args: str, env: dict[str, str] | None = None) -> Any:
        result = self.run(*args, "--json", env=env)
        assert result.returncode == 0, f"bosun {' '.join(args)}: {result.stderr or result.stdout}"
        return json.loads(result.stdout)

    def work(self, title: str, steps: list[dict[str, Any]] | None = None, **extra: Any) -> str:
        body = task_body(steps, **extra) if steps is not None else "no task script"
        return str(self.ok("work", "create", title, "--body", body)["id"])

    def spawn(self, name: str, work_id: str | None = None, role: str = "polecat") -> Any:
        """Spawn an idle sim agent, then pin its work and tell it to start.

        A sim agent spawned with its work starts working at once, and `agent spawn` waits
        for a ready screen it may show only for a moment; starting idle keeps the test
        independent of that race (reported to the runtime owner)."""
        session = self.ok("agent", "spawn", name, "--role", role, "--runtime", "sim")
        if work_id:
            self.ok("hook", "pin", role, name, work_id)
            self.ok("agent", "send", f"{role}/{name}", "start your hook")
        return session

    # -- the supervisor -------------------------------------------------------------------

    def supervise(
        self, env: dict[str, str] | None = None, *, merge_queue: bool = False
    ) -> subprocess.Popen[bytes]:
        """`bosun supervise` in the background; returns once it holds its lock."""
        log = open(self.root / ".bosun" / "logs" / f"test-sup-{len(self.supervisors)}.log", "ab")  # noqa: SIM115
        queue = "--merge-queue" if merge_queue else "--no-merge-queue"
        proc = subprocess.Popen(
            [sys.executable, "-m", "bosun", "supervise", queue],
            cwd=self.root,
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        self.supervisors.append(proc)
        wait_for(
            lambda: proc.poll() is not None or self.lock_pid() == proc.pid,
            timeout=30,
            what="the supervisor to take its lock",
        )
        assert proc.poll() is None, f"supervisor exited: {self.supervisor_log()}"
        wait_for(lambda: self.events("supervisor.reconciled", since=0), what="reconcile")
        return proc

    def lock_pid(self) -> int | None:
        try:
            record = json.loads((self.root / ".bosun" / "supervisor.lock").read_text())
        except (OSError, ValueError):
            return None
        return None if record.get("released_at") else record.get("pid")

    def supervisor_log(self) -> str:
        logs = sorted((self.root / ".bosun" / "logs").glob("test-sup-*.log"))
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in logs)

    def kill(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        if proc.poll() is None:
            os.kill(proc.pid, sig)
        proc.wait(timeout=30)

    # -- the store, tmux and the agents' files --------------------------------------------

    @property
    def ctx(self) -> Any:
        if self._ctx is None:
            from bosun.core.context import open_project

            self._ctx = open_project(self.root, env=self.env)
        return self._ctx

    def events(self, kind: str | None = None, subject: str | None = None, since: int = 0) -> list:
        return self.ctx.events.since(since, kind=kind, subject=subject, limit=100_000)

    def last_event_id(self) -> int:
        return int(self.ctx.events.last_id())

    def session(self, name: str, role: str = "polecat") -> Any:
        from bosun.agents.sessions import current_session

        with self.ctx.store.transaction(write=False) as tx:
            return current_session(tx, role, name)

    def sessions(self, name: str, role: str = "polecat") -> list[dict[str, Any]]:
        with self.ctx.store.transaction(write=False) as tx:
            return [dict(r) for r in tx.all("agent_session_history", role=role, name=name)]

    def live_rows(self, name: str, role: str = "polecat") -> int:
        return sum(1 for r in self.sessions(name, role) if r["ended_at"] is None)

    def identity(self, name: str, role: str = "polecat") -> Any:
        return self.ctx.identities.get(role, name)

    def hook(self, name: str, role: str = "polecat") -> Any:
        return self.ctx.hooks.find(role, name)

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False
        )

    def tmux_sessions(self) -> list[str]:
        out = self.tmux("list-sessions", "-F", "#{session_name}")
        return out.stdout.split() if out.returncode == 0 else []

    def screen(self, name: str, role: str = "polecat") -> str:
        session = self.session(name, role)
        out = self.tmux("capture-pane", "-p", "-S", "-200", "-t", session.target)
        return out.stdout

    def transcript(self, name: str, role: str = "polecat") -> str:
        path = self.root / ".bosun" / "state" / "transcripts" / f"{role}-{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def incarnation_ready(self, name: str, incarnation: int, role: str = "polecat") -> Any:
        """Wait until incarnation `incarnation` (or later) is live and ready."""

        def ready() -> Any:
            s = self.session(name, role)
            return s if s and s.incarnation >= incarnation and s.live and s.ready_at else None

        return wait_for(ready, timeout=30, what=f"{role}/{name} incarnation {incarnation}")

    def close(self) -> None:
        for proc in self.supervisors:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=15)
        pids = []
        out = self.tmux("list-panes", "-a", "-F", "#{pane_pid}")
        if out.returncode == 0:
            pids = [int(p) for p in out.stdout.split()]
        self.tmux("kill-server")
        deadline = time.monotonic() + 10
        for pid in pids:
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        if self._ctx is not None:
            self._ctx.close()


@contextmanager
def open_rig(project: Path, socket: str, settings: Mapping[str, str] = FAST) -> Iterator[Rig]:
    """A rig on `project` and tmux server `socket` with `settings` in every process's
    environment; closed (supervisors stopped, tmux server removed) even when a test fails."""
    env = {**os.environ, **settings, "BOSUN_HOME": str(project),
           "BOSUN_RUNTIME_TMUX_SOCKET": socket}  # fmt: skip
    env.pop("BOSUN_IDENTITY", None)
    (project / ".bosun" / "logs").mkdir(parents=True, exist_ok=True)
    rig = Rig(project, socket, env)
    try:
        yield rig
    finally:
        rig.close()
