"""The sim agent's hands: shell commands, file writes and commits in its working directory."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path

from bosun.base.errors import OperationFailed

OUTPUT_LINES = 6


class StepFailed(OperationFailed):
    code = "step_failed"


class Workspace:
    def __init__(self, cwd: Path, env: Mapping[str, str]) -> None:
        self.cwd = cwd
        self.env = dict(env)
        self._lock = threading.Lock()
        self._current: subprocess.Popen[bytes] | None = None

    def run(self, command: str, timeout: float, check: bool = True) -> list[str]:
        """Run `command` with /bin/sh; return the last lines of its output."""
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with self._lock:
            self._current = proc
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.kill_current()
            proc.communicate()
            raise StepFailed(
                f"`{command}` ran longer than {timeout:g}s; killed it",
                "raise the step's timeout or fix the command",
            ) from exc
        finally:
            with self._lock:
                self._current = None
        lines = out.decode("utf-8", "replace").splitlines()[-OUTPUT_LINES:]
        if proc.returncode != 0 and check:
            last = lines[-1] if lines else "(no output)"
            raise StepFailed(
                f"`{command}` exited {proc.returncode}: {last}",
                'fix the command or mark the step "check": false',
            )
        return lines

    def kill_current(self) -> None:
        with self._lock:
            proc = self._current
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def write(self, relative: str, content: str, append: bool = False) -> Path:
        target = (self.cwd / relative).resolve()
        root = self.cwd.resolve()
        if root != target and root not in target.parents:
            raise StepFailed(f"{relative} resolves outside {root}", "write inside the worktree")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "a" if append else "w", encoding="utf-8") as fh:
                fh.write(content)
        except OSError as exc:
            raise StepFailed(
                f"cannot write {relative}: {exc.strerror or exc}", f"check {target.parent}"
            ) from exc
        return target

    def git(self, *args: str) -> str:
        return self.git_raw(*args).strip()

    def git_raw(self, *args: str) -> str:
        """`git ARGS` in the working directory; its output as it is (not stripped)."""
        try:
            out = subprocess.run(
                ["git", *args],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StepFailed(f"git {args[0]} could not run: {exc}", "is git installed?") from exc
        if out.returncode != 0:
            detail = (out.stderr or out.stdout).strip().splitlines()
            raise StepFailed(
                f"git {args[0]} failed: {detail[-1] if detail else out.returncode}",
                f"check the repository at {self.cwd}",
            )
        return out.stdout

    def commit(self, message: str) -> str:
        """`git add -A` and commit; a clean tree is reported, not treated as an error."""
        if not self.git("status", "--porcelain"):
            return "nothing to commit"
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "-m", message)
        return f"committed {self.git('rev-parse', '--short', 'HEAD')}: {message.splitlines()[0]}"

    def placeholders(self, identity: str, work_id: str | None) -> dict[str, str]:
        values = {"identity": identity, "work_id": work_id or "", "cwd": str(self.cwd)}
        try:
            values["branch"] = self.git("rev-parse", "--abbrev-ref", "HEAD")
            values["head"] = self.git("rev-parse", "HEAD")
        except StepFailed:
            values["branch"] = values["head"] = ""
        return values
