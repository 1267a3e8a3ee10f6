"""The real-CLI fleet rig: a bosun project, the scripted model server, a real agent CLI
spawned by `bosun agent spawn` in tmux on the test's own socket, and `bosun supervise` with
its merge queue — all stopped and removed afterwards.

Every process gets a temporary HOME (and CODEX_HOME): the CLIs never see the real `~`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bosun.runtime.modelserver import ModelServer

TOOLS = ("claude", "codex", "gemini")

FAST = {
    "BOSUN_SUPERVISOR_TICK_INTERVAL": "0.3",
    "BOSUN_IDENTITY_STALE_AFTER": "120",
    "BOSUN_SUPERVISOR_STALL_AFTER": "20",
    "BOSUN_SUPERVISOR_WAITING_AFTER": "5",
    "BOSUN_SUPERVISOR_RECOVERY_VERIFY_WITHIN": "60",
    "BOSUN_SUPERVISOR_RECOVERY_RESTART_DELAY": "0.1",
    "BOSUN_SUPERVISOR_RECOVERY_RESTART_MAX_DELAY": "0.2",
    "BOSUN_SUPERVISOR_PATROL_INTERVAL": "600",
    "BOSUN_RUNTIME_READY_TIMEOUT": "120",
}


def require(tool: str, binary: str | None) -> str:
    """The CLI's binary; a missing one skips, or fails under CI=true."""
    if binary is None:
        message = f"{tool} is not installed (run scripts/install-agent-clis.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; it is required under CI=true")
        pytest.skip(message)
    return binary


def cli_environment(tool: str, binary: str, url: str, home: Path) -> dict[str, str]:
    """What each CLI needs to talk to the model server with no dialog, in a temp HOME."""
    home.mkdir(parents=True, exist_ok=True)
    node = shutil.which("node")
    dirs = [str(Path(sys.executable).parent), str(Path(binary).parent)]
    dirs += [str(Path(node).parent)] if node else []
    dirs += ["/usr/local/bin", "/usr/bin", "/bin"]
    env = {"HOME": str(home), "PATH": os.pathsep.join(dirs)}
    if tool == "claude":
        (home / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
        env |= {
            "ANTHROPIC_BASE_URL": url,
            "ANTHROPIC_AUTH_TOKEN": "scripted",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
        }
    elif tool == "codex":
        codex_home = home / ".codex"
        codex_home.mkdir(exist_ok=True)
        (codex_home / "config.toml").write_text(
            'model_provider = "local"\nmodel = "scripted"\n'
            "[model_providers.local]\n"
            f'name = "local"\nbase_url = "{url}/v1"\nwire_api = "responses"\n'
            'env_key = "CODEX_LOCAL_KEY"\n'
        )
        env |= {"CODEX_HOME": str(codex_home), "CODEX_LOCAL_KEY": "scripted"}
    else:
        (home / ".gemini").mkdir(exist_ok=True)
        settings = {
            "security": {"auth": {"selectedType": "gemini-api-key"}},
            "model": {"name": "gemini-2.5-flash"},
        }
        (home / ".gemini" / "settings.json").write_text(json.dumps(settings))
        env |= {"GOOGLE_GEMINI_BASE_URL": url, "GEMINI_API_KEY": "scripted"}
    return env


@dataclass
class FleetRig:
    root: Path
    socket: str
    env: dict[str, str]
    server: ModelServer
    supervisors: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _ctx: Any = None

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bosun", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ok(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.returncode == 0, f"bosun {' '.join(args)}: {result.stderr or result.stdout}"
        return json.loads(result.stdout)

    def supervise(self) -> subprocess.Popen[bytes]:
        logs = self.root / ".bosun" / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / f"test-sup-{len(self.supervisors)}.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bosun", "supervise"],
                cwd=self.root,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self.supervisors.append(proc)
        return proc

    def supervisor_log(self) -> str:
        logs = sorted((self.root / ".bosun" / "logs").glob("*.log"))
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in logs)

    @property
    def ctx(self) -> Any:
        if self._ctx is None:
            from bosun.core.context import open_project

            self._ctx = open_project(self.root, env=self.env)
        return self._ctx

    def events(self, kind: str | None = None, subject: str | None = None) -> list[Any]:
        return list(self.ctx.events.since(0, kind=kind, subject=subject, limit=100_000))

    def session(self, name: str, role: str = "polecat") -> Any:
        from bosun.agents.sessions import current_session

        with self.ctx.store.transaction(write=False) as tx:
            return current_session(tx, role, name)

    def screen(self, name: str, role: str = "polecat") -> str:
        session = self.session(name, role)
        if session is None:
            return "(no session)"
        out = subprocess.run(
            ["tmux", "-L", self.socket, "capture-pane", "-p", "-S", "-60", "-t", session.target],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout

    def git(self, *args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=False
        )
        return out.stdout.strip()

    def detail(self, name: str) -> str:
        turns = [
            (r.get("turn"), r.get("fault"), r.get("side"), r.get("status"))
            for r in self.server.requests
        ]
        kinds = [
            (e.kind, e.data) if e.kind.startswith(("agent.", "supervisor.")) else e.kind
            for e in self.events()
        ][-40:]
        return (
            f"screen:\n{self.screen(name)}\nrequests: {turns}\nevents: {kinds}\n"
            f"logs:\n{self.supervisor_log()}"
        )

    def close(self) -> None:
        for proc in self.supervisors:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=20)
        out = subprocess.run(
            ["tmux", "-L", self.socket, "list-panes", "-a", "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=False,
        )
        pids = [int(p) for p in out.stdout.split()] if out.returncode == 0 else []
        for pid in pids:  # the CLIs start helpers (MCP servers, shells): their groups go too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)
        deadline = time.monotonic() + 10
        for pid in pids:
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        kill_daemons_under(self.env["HOME"])
        if self._ctx is not None:
            self._ctx.close()


def kill_daemons_under(home: str) -> None:
    """Kill what a CLI left running from its temp HOME: interactive Codex 0.171 starts a
    managed `codex app-server` daemon (from $CODEX_HOME/packages/) that outlives it."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith(home + "/"):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(proc.name), signal.SIGKILL)
