"""Every action of the terminal UI is a `bosun` command, run as one.

Running the CLI itself (`python -m bosun … --json`) gives each action exactly the effect,
the checks and the events of the command a person would type; `Action.argv` is what the
UI shows in its log. Only the diff is read here directly: it changes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.gitops.branches import main_branch
from bosun.gitops.git import Git

if TYPE_CHECKING:
    from bosun.core.context import Context

TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Action:
    """One bosun command: the words after `bosun`."""

    words: tuple[str, ...]
    title: str

    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-m", "bosun", *self.words, "--json"]

    @property
    def shown(self) -> str:
        return "bosun " + " ".join(self.words)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    data: Any = field(default=None)


def send(identity: str, text: str) -> Action:
    return Action(("agent", "send", identity, text), f"send to {identity}")


def nudge(identity: str) -> Action:
    return Action(("agent", "nudge", identity), f"nudge {identity}")


def restart(identity: str) -> Action:
    return Action(("agent", "restart", identity), f"restart {identity}")


def stop(identity: str) -> Action:
    return Action(("agent", "stop", identity), f"stop {identity}")


def answer(identity: str, reply: str) -> Action:
    """`bosun agent answer`: approve or deny the prompt on the agent's screen (the CLI knows
    each runtime's keys), or a choice: an option's number or label, or keys (`y Enter`)."""
    return Action(("agent", "answer", identity, *reply.split()), f"answer {identity}: {reply}")


def attach_command(identity: str) -> Action:
    return Action(("agent", "attach", identity), f"attach to {identity}")


def enqueue(branch: str, identity: str, work_id: str | None) -> Action:
    words = ["merge-queue", "enqueue", branch, "--identity", identity]
    if work_id:
        words += ["--work", work_id]
    return Action(tuple(words), f"enqueue {branch}")


def approve_merge(request_id: str) -> Action:
    """`bosun mr approve`: a merge request held by `require_approval` may land."""
    return Action(("mr", "approve", request_id), f"approve merge {request_id}")


def gate_answer(run_id: str, node: str, choice: str) -> Action:
    return Action(("run", "answer", run_id, node, choice), f"answer gate {node} of {run_id}")


def run(action: Action, cwd: Path, env: dict[str, str] | None = None) -> Outcome:
    """Run the command; its JSON error (message and hint) becomes the outcome's message."""
    try:
        proc = subprocess.run(
            action.argv,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Outcome(False, f"{action.shown}: {exc}")
    data: Any = None
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else None
    except ValueError:
        data = None
    if proc.returncode == 0:
        return Outcome(True, f"{action.title}: done", data)
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        hint = f" (hint: {error['hint']})" if error.get("hint") else ""
        return Outcome(False, f"{action.title}: {error.get('message')}{hint}", data)
    text = (proc.stderr or proc.stdout).strip().splitlines()
    return Outcome(False, f"{action.title}: {text[-1] if text else f'exit {proc.returncode}'}")


def branch_of(worktree: str) -> str | None:
    """The branch checked out in the agent's worktree (None when detached or missing)."""
    if not worktree or not Path(worktree).is_dir():
        return None
    result = Git(worktree).try_run("symbolic-ref", "--quiet", "--short", "HEAD")
    return result.stdout.strip() or None if result.ok else None


def diff(ctx: Context, worktree: str | None, limit: int = 400_000) -> str:
    """`git diff TARGET...BRANCH` for the agent's branch: what landing it would bring."""
    branch = branch_of(worktree or "")
    if branch is None or ctx.paths is None:
        return f"{worktree or 'this agent'} has no branch checked out"
    git = Git(ctx.paths.root)
    target = main_branch(git, ctx.config)
    result = git.try_run("diff", "--stat", "--patch", f"{target}...{branch}")
    if not result.ok:
        return f"git diff {target}...{branch} failed: {result.stderr.strip()}"
    text = result.stdout or f"{branch} has no changes against {target}"
    header = f"diff {target}...{branch}\n\n"
    return header + (text if len(text) <= limit else text[:limit] + "\n… (truncated)")
