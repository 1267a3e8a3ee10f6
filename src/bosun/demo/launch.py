"""Setting the stage: the sample project, bosun's settings, the supervisor, the dashboard,
the work items and the fleet — each through the real CLI.
"""

from __future__ import annotations

import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bosun.demo.plan import AgentPlan, FleetPlan
from bosun.demo.sample import create_sample, test_command
from bosun.demo.shell import Bosun, DemoStepFailed

SPAWN_WORKERS = 3


@dataclass(frozen=True)
class Timings:
    """Intervals short enough to watch every fault recover within the demo's minutes."""

    tick: float = 0.5
    stall_after: float = 6.0
    verify_within: float = 6.0
    patrol: float = 20.0  # after the sentinel's nudge (due 2 s after a claim)
    sentinel_due: float = 2.0
    deadline: float = 170.0  # seconds from the first spawn until the demo gives up

    @classmethod
    def for_mode(cls, quick: bool) -> Timings:
        if quick:
            return cls()
        return cls(stall_after=10.0, verify_within=10.0, patrol=30.0, deadline=420.0)


def settings_toml(plan: FleetPlan, socket: str, timings: Timings) -> str:
    """The demo's settings, appended to `.bosun/config.toml` (so the supervisor, the
    agents and the pipeline all read the same values)."""
    t = timings
    return f"""
# -- bosun demo ---------------------------------------------------------------------------
[runtime]
tmux_socket = "{socket}"

[supervisor]
tick_interval = {t.tick}
stall_after = {t.stall_after}

[supervisor.recovery]
verify_within = {t.verify_within}
restart_delay = 0.2
restart_max_delay = 1.0

[supervisor.patrol]
interval = {t.patrol}
compliance_window = 30.0

[merge_queue]
gates = [{json.dumps(test_command())}]
gate_timeout = 300.0

[sentinel]
enabled = {"true" if plan.sentinel else "false"}
due_after = {t.sentinel_due}
compliance_window = 60.0

[chain]
heartbeat_interval = 1.0
runner_grace = 20.0
"""


@dataclass
class Stage:
    """What the stage holds once it is set: where, and the ids bosun gave things."""

    repo: Path
    socket: str
    base_commit: str = ""
    work_ids: dict[str, str] = field(default_factory=dict)  # agent name → work item id
    dashboard_url: str | None = None
    dashboard_note: str = ""
    supervisor_pid: int | None = None


def set_stage(repo: Path, plan: FleetPlan, timings: Timings, bosun: Bosun) -> Stage:
    stage = Stage(repo, f"bosun-demo-{secrets.token_hex(3)}")
    stage.base_commit = create_sample(repo)
    bosun.ok("init")
    config = repo / ".bosun" / "config.toml"
    with open(config, "a", encoding="utf-8") as fh:
        fh.write(settings_toml(plan, stage.socket, timings))
    bosun.ok("config", "list")  # the settings parse, or the demo stops here
    stage.supervisor_pid = int(bosun.ok("supervise", "--detach")["pid"])
    for agent in plan.agents:
        item = bosun.ok("work", "create", f"Add calc.{agent.feature.name}", "--body", agent.body())
        stage.work_ids[agent.name] = str(item["id"])
    return stage


def start_dashboard(stage: Stage, bosun: Bosun, timeout: float = 20.0) -> None:
    """`bosun dashboard --port 0` in the background; its URL once it listens. A missing or
    failing dashboard is reported, never fatal."""
    probe = bosun.call("dashboard", "--help", timeout=60)
    if probe.code != 0 and "No such command" in probe.stderr:
        stage.dashboard_note = "this bosun has no dashboard command"
        return
    proc = bosun.start("dashboard", "--port", "0", "--json", log_name="dashboard.log")
    log = stage.repo / ".bosun" / "logs" / "dashboard.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
            if line.startswith("{"):
                try:
                    stage.dashboard_url = str(json.loads(line)["url"])
                    return
                except (ValueError, KeyError):
                    continue
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            stage.dashboard_note = f"the dashboard exited ({' '.join(tail) or proc.returncode})"
            return
        time.sleep(0.1)
    stage.dashboard_note = f"the dashboard did not announce its URL in {timeout:g}s"


def spawn_fleet(stage: Stage, plan: FleetPlan, bosun: Bosun) -> list[str]:
    """Spawn every agent that starts working now (not the dormant ones); returns problems."""
    working = [a for a in plan.agents if not a.dormant]

    def spawn(agent: AgentPlan) -> str | None:
        call = bosun.call(
            "agent", "spawn", agent.name, "--runtime", "sim", "--work", stage.work_ids[agent.name]
        )
        return None if call.ok else f"spawning {agent.ref} failed: {call.error()}"

    problems = []
    if working:  # the first one alone: it starts the tmux server
        problem = spawn(working[0])
        problems += [problem] if problem else []
    with ThreadPoolExecutor(SPAWN_WORKERS) as pool:
        problems += [p for p in pool.map(spawn, working[1:]) if p]
    return problems


def park_dormant(stage: Stage, agent: AgentPlan, bosun: Bosun, timeout: float = 60.0) -> None:
    """A dormant participant: it had a session (spawned with nothing on its hook) that
    ended by itself (`/exit`; an operator's `agent stop` would forbid waking it), and then
    its work was pinned — so nothing runs it until bosun wakes it."""
    bosun.ok("agent", "spawn", agent.name, "--runtime", "sim")
    bosun.ok("agent", "send", agent.name, "/exit")
    deadline = time.monotonic() + timeout
    while not _session_ended(bosun, agent.name):
        if time.monotonic() > deadline:
            raise DemoStepFailed(
                f"{agent.name} did not exit within {timeout:g}s of /exit",
                "see its screen: `bosun agent capture NAME`",
            )
        time.sleep(0.1)
    bosun.ok("hook", "pin", "polecat", agent.name, stage.work_ids[agent.name])


def _session_ended(bosun: Bosun, name: str) -> bool:
    rows = bosun.ok("agent", "list")
    ended = ("dead", "not running")  # its pane is gone; or its end is already recorded
    return any(r["identity"] == f"polecat/{name}" and r["state"] in ended for r in rows)
