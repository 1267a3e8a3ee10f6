"""Wiring: from the command line and the environment to a running sim agent."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bosun.base.errors import NotAProject
from bosun.base.names import split_identity
from bosun.base.paths import ProjectPaths, find_project
from bosun.runtime.sim.agent import SimAgent
from bosun.runtime.sim.bosunctl import CliBosun
from bosun.runtime.sim.console import AppendLog, Console, PromptLog
from bosun.runtime.sim.context import ContextMeter
from bosun.runtime.sim.faults import FaultLedger, faults_from_env
from bosun.runtime.sim.screen import Screen
from bosun.runtime.sim.terminal import run_terminal
from bosun.runtime.sim.workspace import Workspace


@dataclass(frozen=True)
class SimFiles:
    context: Path | None
    transcript: Path | None
    ledger: Path | None
    prompt_log: Path | None


def sim_files(
    identity: tuple[str, str] | None, env: Mapping[str, str], project: ProjectPaths | None
) -> SimFiles:
    """Each file from its environment variable, else its default inside the project."""

    def pick(var: str, sub: str, suffix: str) -> Path | None:
        if env.get(var):
            return Path(env[var]).expanduser()
        if project is None or identity is None:
            return None
        return project.state / sub / f"{identity[0]}-{identity[1]}{suffix}"

    prompt_log = env.get("BOSUN_SIM_PROMPT_LOG")
    return SimFiles(
        context=pick("BOSUN_CONTEXT_FILE", "context", ".json"),
        transcript=pick("BOSUN_SIM_TRANSCRIPT", "transcripts", ".log"),
        ledger=pick("BOSUN_SIM_STATE", "sim", ".json"),
        prompt_log=Path(prompt_log).expanduser() if prompt_log else None,
    )


@dataclass(frozen=True)
class SimSession:
    """How one sim agent session ended."""

    identity: str | None
    exit_code: int
    prompts: int

    def to_json(self) -> dict[str, object]:
        return {"identity": self.identity, "exit_code": self.exit_code, "prompts": self.prompts}


def run_sim_agent(
    identity_ref: str | None, prompt: str | None, env: Mapping[str, str], cwd: Path
) -> SimSession:
    """Check the configuration (bad input raises before the terminal is touched), then run."""
    ref = identity_ref or env.get("BOSUN_IDENTITY") or None
    identity = split_identity(ref) if ref else None
    env_faults = faults_from_env(env.get("BOSUN_SIM_FAULTS"))
    try:
        project: ProjectPaths | None = find_project(cwd, dict(env))
    except NotAProject:
        project = None
    files = sim_files(identity, env, project)
    child_env = {**env, "BOSUN_IDENTITY": ref} if ref else dict(env)

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)

    def wake() -> None:
        with contextlib.suppress(BlockingIOError):  # full pipe: a wakeup is pending
            os.write(wake_w, b"x")

    console = Console(Screen(identity=ref or "no identity"), AppendLog(files.transcript), wake)
    agent = SimAgent(
        console=console,
        client=CliBosun(identity[0], identity[1], env) if identity else None,
        identity=ref,
        workspace=Workspace(cwd, child_env),
        meter=ContextMeter(files.context),
        ledger=FaultLedger(files.ledger),
        env_faults=env_faults,
    )
    try:
        code, prompts = run_terminal(agent, console, PromptLog(files.prompt_log), wake_r, prompt)
        return SimSession(ref, code, prompts)
    finally:
        os.close(wake_r)
        os.close(wake_w)
