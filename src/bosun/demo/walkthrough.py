"""The walkthrough: an agent's identity and pinned work survive the death of its session.

It drives the real `bosun` CLI (as an agent or a person would) in a temporary git repository
and checks each step's outcome; it exits non-zero when any expectation fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Step:
    title: str
    argv: list[str]
    check: Callable[[Any], bool] | None = None
    env: dict[str, str] | None = None
    expect_error: bool = False


class Walkthrough:
    def __init__(self, repo: Path, echo: Callable[[str], None]) -> None:
        self.repo = repo
        self.echo = echo
        self.failures: list[str] = []
        self.steps = 0

    def bosun(self, step: Step) -> Any:
        env = {**os.environ, **(step.env or {})}
        env.pop("BOSUN_HOME", None)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "bosun", *step.argv, "--json"],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = (time.perf_counter() - started) * 1000
        self.steps += 1
        self.echo(f"\n$ bosun {' '.join(_quote(a) for a in step.argv)}   # {step.title}")
        try:
            data = json.loads(proc.stdout) if proc.stdout.strip() else None
        except json.JSONDecodeError:
            data = None
        succeeded = proc.returncode == 0 and (step.check is None or bool(step.check(data)))
        ok = (
            (proc.returncode != 0 and data is not None and "error" in data)
            if step.expect_error
            else succeeded
        )
        summary = _summarise(data) if data is not None else proc.stderr.strip()
        self.echo(f"  {'ok ' if ok else 'FAIL'} ({elapsed:.0f} ms) {summary}")
        if not ok:
            self.failures.append(f"{step.title}: exit {proc.returncode} {proc.stderr.strip()}")
        return data


def run_walkthrough(directory: Path | None = None, echo: Callable[[str], None] = print) -> int:
    base = Path(tempfile.mkdtemp(prefix="bosun-demo-")) if directory is None else directory
    repo = base / "sample"
    _make_repo(repo)
    echo(f"bosun walkthrough in {repo}")
    w = Walkthrough(repo, echo)
    w.bosun(Step("create .bosun/ in the repository", ["init"]))
    w.bosun(
        Step(
            "register an agent identity",
            ["identity", "create", "polecat", "toast", "--runtime", "sim"],
            lambda d: d["status"] == "active" and d["incarnation"] == 1,
        )
    )
    item = w.bosun(
        Step(
            "create a work item",
            ["work", "create", "Add a greeting", "--body", "Write hello.py and commit it."],
            lambda d: d["status"] == "open",
        )
    )
    work_id = item["id"] if item else "missing"
    w.bosun(
        Step(
            "pin the work to the agent's hook",
            ["hook", "pin", "polecat", "toast", work_id],
            lambda d: d["phase"] == "assigned",
        )
    )
    agent = {"BOSUN_IDENTITY": "polecat/toast"}
    w.bosun(
        Step(
            "the agent starts: phase executing",
            ["hook", "update-phase", "polecat", "toast", "executing"],
            lambda d: d["phase"] == "executing",
            env=agent,
        )
    )
    w.bosun(
        Step(
            "the agent checkpoints its progress",
            ["hook", "checkpoint", "polecat", "toast", "--note", "hello.py written"],
            lambda d: d["checkpoint_note"] == "hello.py written",
            env=agent,
        )
    )
    w.bosun(
        Step(
            "it leaves instructions for whoever continues",
            [
                "hook",
                "update-resumption",
                "polecat",
                "toast",
                "Commit hello.py, then mark impl_complete.",
            ],
            env=agent,
        )
    )
    w.bosun(
        Step(
            "its session dies",
            ["identity", "mark-crashed", "polecat", "toast", "--reason", "demo: process killed"],
            lambda d: d["status"] == "crashed",
        )
    )
    w.bosun(
        Step(
            "the identity and its hook outlive the session",
            ["identity", "show", "polecat", "toast"],
            lambda d: d["status"] == "crashed",
        )
    )
    prime = w.bosun(
        Step(
            "a new session is primed from the store",
            ["prime", "polecat", "toast"],
            lambda d: (
                d["hook"]["phase"] == "executing"
                and "hello.py written" in d["text"]
                and "Commit hello.py" in d["text"]
            ),
        )
    )
    if prime:
        echo("\n" + "\n".join("    " + line for line in prime["text"].splitlines()[:14]))
    w.bosun(
        Step(
            "it finishes the work",
            ["hook", "update-phase", "polecat", "toast", "impl_complete"],
            lambda d: d["phase"] == "impl_complete",
            env=agent,
        )
    )
    w.bosun(
        Step(
            "and asks the merge queue to land it",
            [
                "signal",
                "send",
                "polecat/toast",
                "MERGE_READY",
                "--payload",
                '{"branch": "bosun/toast"}',
            ],
            lambda d: d["type"] == "MERGE_READY",
        )
    )
    w.bosun(
        Step(
            "bad input is refused with a clear error",
            ["hook", "update-phase", "polecat", "toast", "merged"],
            expect_error=True,
        )
    )
    events = w.bosun(
        Step(
            "every change is in the event log", ["events", "--limit", "100"], lambda d: len(d) >= 10
        )
    )
    echo("")
    echo(
        f"steps: {w.steps}, events recorded: {len(events or [])}, "
        f"work lost: 0 (hook kept across the crash)"
    )
    if w.failures:
        echo("walkthrough FAILED:\n  " + "\n  ".join(w.failures))
        return 1
    echo("walkthrough passed")
    return 0


def _make_repo(repo: Path) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bosun demo",
        "GIT_AUTHOR_EMAIL": "demo@bosun.invalid",
        "GIT_COMMITTER_NAME": "bosun demo",
        "GIT_COMMITTER_EMAIL": "demo@bosun.invalid",
    }
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "commit", "-q", "--allow-empty", "-m", "initial commit"],
    ):
        subprocess.run(argv, cwd=repo, env=env, check=True, capture_output=True)


def _quote(arg: str) -> str:
    return arg if arg and all(c.isalnum() or c in "-_/.=" for c in arg) else json.dumps(arg)


def _summarise(data: Any) -> str:
    if isinstance(data, list):
        return f"{len(data)} record(s)"
    if isinstance(data, dict):
        if "error" in data:
            return f"refused: {data['error']['message']}"
        keys = ("identity", "id", "status", "phase", "type", "incarnation")
        return ", ".join(
            f"{k}={data[k]}"
            for k in keys
            if k in data and data[k] is not None and not isinstance(data[k], dict)
        )
    return str(data)
