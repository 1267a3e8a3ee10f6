"""Agents do not inherit the operator's secrets, at spawn and after the supervisor restarts
a killed one: a sim agent in real tmux, its environment read from /proc/PID/environ."""

from __future__ import annotations

import os
import secrets
import signal
from pathlib import Path

import pytest
from suprig import Rig

from waiting import wait_for

# planted in the environment of `bosun agent spawn` and `bosun supervise`
PLANTED = (
    "GITHUB_TOKEN",
    "NPM_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "PGPASSWORD",
    "SSH_AUTH_SOCK",
    "OPENAI_API_KEY",  # codex's key; the sim preset must not get it
    "FOO_KEY",
)
OPTED_IN = "OPTED_IN_TOKEN"  # named in [agents] pass_env


def process_environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split("=", 1) for item in raw.decode("utf-8", "replace").split("\0") if item)
    return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}


def assert_scrubbed(env: dict[str, str], planted: dict[str, str], where: str) -> None:
    leaked = sorted(set(planted) & set(env))
    assert not leaked, f"{where}: {leaked} reached the agent"
    values = set(planted.values())
    carried = sorted(k for k, v in env.items() if any(secret in v for secret in values))
    assert not carried, f"{where}: a planted value reached the agent in {carried}"


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_a_sim_agent_gets_no_secret_at_spawn_nor_after_a_kill_9_restart(rig: Rig) -> None:
    planted = {name: f"leak-{name.lower()}-{secrets.token_hex(6)}" for name in PLANTED}
    opted = f"wanted-{secrets.token_hex(6)}"
    rig.env.update(planted)
    rig.env[OPTED_IN] = opted
    with open(rig.root / ".bosun" / "config.toml", "a", encoding="utf-8") as config:
        config.write(f'\n[agents]\npass_env = ["{OPTED_IN}"]\n')

    rig.supervise()
    work_id = rig.work("Long job", [{"phase": "executing"}, {"work": 120}])
    rig.spawn("toast", work_id)
    first = rig.incarnation_ready("toast", 1)
    env = process_environment(first.pid)
    assert env["BOSUN_IDENTITY"] == "polecat/toast" and env["BOSUN_INCARNATION"] == "1"
    assert_scrubbed(env, planted, "at spawn")
    assert env[OPTED_IN] == opted

    # the agent can read its tmux server's environment: that holds no secret either
    server = rig.tmux("show-environment", "-g")
    assert server.returncode == 0, server.stderr
    assert not [name for name in planted if f"\n{name}=" in "\n" + server.stdout]

    os.kill(first.pid, signal.SIGKILL)
    second = rig.incarnation_ready("toast", 2)
    assert second.pid != first.pid
    wait_for(lambda: Path(f"/proc/{second.pid}/environ").exists(), what="the new agent")
    env = process_environment(second.pid)
    assert env["BOSUN_INCARNATION"] == "2"
    assert_scrubbed(env, planted, "after the supervisor's restart")
    assert env[OPTED_IN] == opted
