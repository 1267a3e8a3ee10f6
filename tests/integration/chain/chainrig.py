"""The chain rig: a real project, `bosun run` and `bosun supervise` as real processes, sim
agents in real tmux on the test's own socket — and everything stopped and removed
afterwards, even when the test fails.

Shared by tests/integration/chain and tests/e2e/test_e2e_resilience.py (which puts this
directory on sys.path), and by bench/chain_bench.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FAST = {
    "BOSUN_CHAIN_HEARTBEAT_INTERVAL": "0.25",
    "BOSUN_CHAIN_POLL_INTERVAL": "0.1",
    "BOSUN_CHAIN_RUNNER_GRACE": "15",
    "BOSUN_SUPERVISOR_TICK_INTERVAL": "0.2",
    "BOSUN_IDENTITY_STALE_AFTER": "30",
    "BOSUN_SUPERVISOR_STALL_AFTER": "20",
    "BOSUN_SUPERVISOR_WAITING_AFTER": "20",
    "BOSUN_SUPERVISOR_RECOVERY_VERIFY_WITHIN": "10",
    "BOSUN_SUPERVISOR_RECOVERY_RESTART_DELAY": "0.1",
    "BOSUN_SUPERVISOR_RECOVERY_RESTART_MAX_DELAY": "0.2",
    "BOSUN_SUPERVISOR_PATROL_INTERVAL": "600",
}


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy (the bench has no tests/waiting)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def task_block(steps: list[dict[str, Any]], **extra: Any) -> str:
    """A sim agent task script as the body of a node prompt."""
    return "```bosun-task\n" + json.dumps({"steps": steps, **extra}, indent=1) + "\n```\n"


def dot_string(text: str) -> str:
    """`text` as a quoted DOT string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def report_steps(outcome: dict[str, Any], merge: bool = True) -> list[dict[str, Any]]:
    """The steps of an orchestrator that reports: status file, IMPL_COMPLETE, MERGE_READY
    (`$status_path` and `$runner` are expanded by the runner before the agent sees them)."""
    steps: list[dict[str, Any]] = [
        {"write": {"path": ".stage.json", "content": json.dumps(outcome)}},
        {"run": 'mv .stage.json "$status_path"'},
        {"signal": "IMPL_COMPLETE", "to": "$runner"},
    ]
    if merge:
        steps.append({"signal": "MERGE_READY", "to": "$runner", "payload": {"branch": "{branch}"}})
    return steps


def two_node_graph(prompt: str, check: str, *, timeout: str = "45s", node_attrs: str = "") -> str:
    """An agent node that works, then a validation tool node that checks its work."""
    extra = f", {node_attrs}" if node_attrs else ""
    attrs = f'shape=box, runtime="sim", timeout="{timeout}", prompt={dot_string(prompt)}{extra}'
    return (
        "digraph e2e {\n"
        '  goal="the orchestrator adds hello.txt"\n'
        "  start [shape=Mdiamond]\n"
        "  exit [shape=Msquare]\n"
        f"  impl [{attrs}]\n"
        f"  check [shape=parallelogram, tool_command={dot_string(check)}]\n"
        "  start -> impl\n"
        '  impl -> check [condition="outcome=success"]\n'
        '  check -> exit [condition="outcome=success"]\n'
        "}\n"
    )


@dataclass
class ChainRig:
    root: Path
    socket: str
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _ctx: Any = None

    # -- the CLI --------------------------------------------------------------------------

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 90) -> Any:
        return subprocess.run(
            [sys.executable, "-m", "bosun", *args],
            cwd=self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ok(self, *args: str, env: dict[str, str] | None = None, timeout: float = 90) -> Any:
        result = self.run(*args, "--json", env=env, timeout=timeout)
        assert result.returncode == 0, f"bosun {' '.join(args)}: {result.stderr or result.stdout}"
        return json.loads(result.stdout)

    def graph(self, text: str, name: str = "pipeline.dot") -> Path:
        path = self.root.parent / name
        path.write_text(text)
        return path

    def launch(self, graph: Path, *extra: str) -> dict[str, Any]:
        """`bosun run GRAPH --detach`: returns run_id, logs_root, pid."""
        return dict(self.ok("run", str(graph), "--detach", *extra))

    def wait_final(self, logs_root: str | Path, timeout: float = 50) -> dict[str, Any]:
        path = Path(logs_root) / "final.json"

        def done() -> dict[str, Any] | None:
            with contextlib.suppress(OSError, ValueError):
                return dict(json.loads(path.read_text()))
            return None

        try:
            return dict(wait_until(done, timeout, f"{path}"))
        except AssertionError:
            raise AssertionError(
                f"no final.json after {timeout}s; run.out:\n{self.run_out(logs_root)}"
                f"\nrunner logs:\n{self.runner_logs(logs_root)}"
            ) from None

    def run_out(self, logs_root: str | Path) -> str:
        path = Path(logs_root) / "run.out"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def runner_logs(self, logs_root: str | Path) -> str:
        logs = sorted((Path(logs_root) / "runners").glob("*.log"))
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in logs)

    def supervise(self) -> subprocess.Popen[bytes]:
        """`bosun supervise` (merge queue left to the guardian) until the rig closes."""
        logs = self.root / ".bosun" / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / "test-supervisor.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bosun", "supervise", "--no-merge-queue"],
                cwd=self.root,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self.procs.append(proc)
        wait_until(
            lambda: proc.poll() is not None or self.events("supervisor.reconciled"),
            30,
            "the supervisor to start",
        )
        assert proc.poll() is None, (logs / "test-supervisor.log").read_text()[-3000:]
        return proc

    # -- the store and tmux ---------------------------------------------------------------

    @property
    def ctx(self) -> Any:
        if self._ctx is None:
            from bosun.core.context import open_project

            self._ctx = open_project(self.root, env=self.env)
        return self._ctx

    def events(self, kind: str | None = None, subject: str | None = None) -> list[Any]:
        return list(self.ctx.events.since(0, kind=kind, subject=subject, limit=100_000))

    def identity(self, ref: str) -> Any:
        role, name = ref.split("/")
        return self.ctx.identities.find(role, name)

    def hook(self, ref: str) -> Any:
        role, name = ref.split("/")
        return self.ctx.hooks.find(role, name)

    def session(self, ref: str) -> Any:
        from bosun.agents.sessions import current_session

        role, name = ref.split("/")
        with self.ctx.store.transaction(write=False) as tx:
            return current_session(tx, role, name)

    def signals(self) -> list[Any]:
        return sorted(self.ctx.signals.list(), key=lambda s: (s.created_at, s.id))

    def tmux_sessions(self) -> list[str]:
        out = subprocess.run(
            ["tmux", "-L", self.socket, "list-sessions", "-F", "#{session_name}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.split() if out.returncode == 0 else []

    def transcript(self, ref: str) -> str:
        role, name = ref.split("/")
        path = self.root / ".bosun" / "state" / "transcripts" / f"{role}-{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def git(self, *args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=False
        )
        return out.stdout.strip()

    # -- cleanup --------------------------------------------------------------------------

    def close(self) -> None:
        """Stop what the test started (by pid), kill the tmux server, remove worktrees."""
        pids = [p.pid for p in self.procs if p.poll() is None]
        runs = self.root / ".bosun" / "runs"
        for pid_file in [*runs.glob("*/run.pid"), *runs.glob("*/runners/*.json")]:
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                text = pid_file.read_text()
                pid = int(text) if pid_file.suffix == ".pid" else int(json.loads(text)["pid"])
                if _is_bosun(pid):
                    pids.append(pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for pid in pids:
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        from bosun.runtime.tmux_cli import remove_server

        remove_server(self.socket)
        trees = [*(self.root / ".bosun" / "worktrees").glob("*"), *runs.glob("*/worktree")]
        for tree in trees:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)],
                cwd=self.root,
                capture_output=True,
                check=False,
            )
        subprocess.run(
            ["git", "worktree", "prune"], cwd=self.root, capture_output=True, check=False
        )
        if self._ctx is not None:
            self._ctx.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _is_bosun(pid: int) -> bool:
    """Positive evidence the pid is one of bosun's processes (never signal a stranger)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(b"bosun" in a for a in argv)


def make_rig(root: Path, socket: str, **env: str) -> ChainRig:
    full = {
        **os.environ,
        **FAST,
        "BOSUN_HOME": str(root),
        "BOSUN_RUNTIME_TMUX_SOCKET": socket,
        **env,
    }
    full.pop("BOSUN_IDENTITY", None)
    return ChainRig(root, socket, full)
