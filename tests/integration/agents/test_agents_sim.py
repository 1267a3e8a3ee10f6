"""Agent sessions for real: the sim agent in tmux (own socket), a real git repository."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from clirunner import Bosun
from gitrepo import git
from waiting import wait_for

TASK = """```bosun-task
{"steps": [{"phase": "executing"},
           {"write": {"path": "hello.py", "content": "print('hello')\\n"}},
           {"commit": "add hello.py"},
           {"phase": "impl_complete"},
           {"signal": "IMPL_COMPLETE", "to": "polecat/toast"}]}
```"""


@pytest.fixture
def fleet_env(tmux_socket: str) -> dict[str, str]:
    return {"BOSUN_RUNTIME_TMUX_SOCKET": tmux_socket}


def test_spawn_works_a_task_that_commits_and_signals(
    bosun: Bosun, project: Path, fleet_env: dict[str, str]
) -> None:
    work = bosun.ok("work", "create", "Say hello", "--body", TASK)
    session = bosun.ok(
        "agent", "spawn", "toast", "--runtime", "sim", "--work", work["id"], env=fleet_env
    )
    assert session["incarnation"] == 1 and session["target"].startswith("%")
    worktree = project / ".bosun" / "worktrees" / "toast"
    assert Path(session["worktree"]) == worktree
    wait_for(
        lambda: bosun.ok("signal", "list", "--type", "IMPL_COMPLETE"),
        timeout=30,
        what="the IMPL_COMPLETE signal",
    )
    hook = bosun.ok("hook", "show", "polecat", "toast")
    assert [h["phase"] for h in hook["history"]] == ["assigned", "executing", "impl_complete"]
    assert (worktree / "hello.py").read_text() == "print('hello')\n"
    assert git(worktree, "log", "--format=%s", "-1") == "add hello.py"
    [row] = bosun.ok("agent", "list", env=fleet_env)
    assert row["identity"] == "polecat/toast" and row["state"] in ("ready", "busy")
    again = bosun("agent", "spawn", "toast", "--runtime", "sim", env=fleet_env)
    assert again.code == 1 and "already running" in again.err
    bosun.ok("agent", "stop", "toast", env=fleet_env)


def test_two_hundred_sends_arrive_exactly_once_despite_swallowed_enters(
    bosun: Bosun, tmp_path: Path, fleet_env: dict[str, str]
) -> None:
    from bosun.agents.driver import project_runtime
    from bosun.agents.fleet import Fleet
    from bosun.core.context import open_project

    prompt_log = tmp_path / "prompts.jsonl"
    env = {
        **fleet_env,
        "BOSUN_SIM_PROMPT_LOG": str(prompt_log),
        "BOSUN_SIM_FAULTS": json.dumps({"swallow_enter": True}),
    }
    bosun.ok("agent", "spawn", "echo", "--runtime", "sim", "--worktree", "none", env=env)
    sent = [
        f"message {i}" if i % 3 else f"message {i}\nsecond line of {i}\nthird" for i in range(200)
    ]
    with open_project(bosun.cwd, env={**os.environ, **fleet_env}) as ctx:
        fleet = Fleet(ctx, project_runtime(ctx))
        for text in sent:
            fleet.send("polecat", "echo", text)
    wait_for(
        lambda: prompt_log.exists() and len(prompt_log.read_text().splitlines()) >= 200,
        timeout=30,
        what="200 prompts",
    )
    received = [json.loads(line)["text"] for line in prompt_log.read_text().splitlines()]
    assert received == sent
    bosun.ok("agent", "stop", "echo", env=fleet_env)


def test_a_killed_agent_is_seen_dead_with_its_exit_status(
    bosun: Bosun, fleet_env: dict[str, str]
) -> None:
    from bosun.agents.driver import project_runtime
    from bosun.agents.fleet import Fleet
    from bosun.core.context import open_project

    session = bosun.ok(
        "agent", "spawn", "victim", "--runtime", "sim", "--worktree", "none", env=fleet_env
    )
    os.kill(session["pid"], signal.SIGKILL)
    env = {**os.environ, **fleet_env}
    with open_project(bosun.cwd, env=env) as ctx:
        fleet = Fleet(ctx, project_runtime(ctx))
        handle = fleet.handle(fleet.session("polecat", "victim"))
        live = wait_for(lambda: (lv := fleet.runtime.liveness(handle)).dead and lv, timeout=10)
        assert live.signal == signal.SIGKILL or live.exit_code in (137, -9)


def test_seance_restart_carries_hook_and_resumption_into_the_first_screen(
    bosun: Bosun, fleet_env: dict[str, str]
) -> None:
    work = bosun.ok(
        "work",
        "create",
        "Long job",
        "--body",
        '```bosun-task\n{"steps": [{"phase": "executing"}, {"work": 60}]}\n```',
    )
    bosun.ok("agent", "spawn", "nux", "--runtime", "sim", "--work", work["id"], env=fleet_env)
    wait_for(lambda: bosun.ok("hook", "show", "polecat", "nux")["phase"] == "executing", timeout=20)
    bosun.ok("hook", "update-resumption", "polecat", "nux", "Resume at the parser module.")
    restarted = bosun.ok("agent", "restart", "nux", env=fleet_env)
    assert restarted["incarnation"] == 2
    screen = wait_for(
        lambda: (
            (s := bosun.ok("agent", "capture", "nux", "--lines", "200", env=fleet_env)["screen"])
            and "Resume at the parser module." in s
            and s
        ),
        timeout=20,
    )
    assert "Long job" in screen
    assert bosun.ok("identity", "show", "polecat", "nux")["incarnation"] == 2
    bosun.ok("agent", "stop", "nux", env=fleet_env)


def test_crew_gets_an_identity_and_a_worktree(bosun: Bosun, project: Path) -> None:
    crew = bosun.ok(
        "crew", "add", "mayor", "--initiative", "keep the docs true", "--runtime", "sim"
    )
    assert crew["role"] == "crew" and crew["crew"] is True
    assert Path(crew["worktree"]) == project / ".bosun" / "worktrees" / "mayor"
    assert Path(crew["worktree"], ".git").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["agent", "spawn", "x", "--runtime", "nosuch"], "unknown runtime preset"),
        (["agent", "spawn", "x", "--runtime", "claude"], "not on PATH"),
        (
            ["agent", "spawn", "x", "--runtime", "sim", "--worktree", "/tmp"],
            "outside the repository",
        ),
        (["agent", "send", "ghost", "hi"], "no agent named"),
    ],
)
def test_bad_spawn_requests_are_refused_and_launch_nothing(
    bosun: Bosun, fleet_env: dict[str, str], args: list[str], message: str
) -> None:
    result = bosun(*args, env={**fleet_env, "PATH": "/usr/bin:/bin"})
    assert result.code != 0 and message in result.err, result.err
    assert bosun.ok("agent", "list", env=fleet_env) == []


def test_text_over_the_limit_is_refused_and_nothing_is_sent(
    bosun: Bosun, tmp_path: Path, fleet_env: dict[str, str]
) -> None:
    prompt_log = tmp_path / "prompts.jsonl"
    bosun.ok(
        "agent",
        "spawn",
        "big",
        "--runtime",
        "sim",
        "--worktree",
        "none",
        env={**fleet_env, "BOSUN_SIM_PROMPT_LOG": str(prompt_log)},
    )
    result = bosun("agent", "send", "big", "x" * 20000, env=fleet_env)
    assert result.code == 2 and "limit" in result.err
    assert not prompt_log.exists() or prompt_log.read_text() == ""
    bosun.ok("agent", "stop", "big", env=fleet_env)


def test_a_spawn_that_dies_at_once_reports_its_exit_code_and_screen(
    bosun: Bosun, project: Path, fleet_env: dict[str, str]
) -> None:
    runtimes = project / ".bosun" / "runtimes"
    runtimes.mkdir()
    (runtimes / "broken.toml").write_text(
        'description = "exits at once"\n'
        'argv = ["sh", "-c", "echo boom: no API key; exit 7"]\n'
        'prompt_mode = "none"\n'
        "[screen]\nready = ['^ready>']\n"
    )
    result = bosun(
        "agent", "spawn", "dud", "--runtime", "broken", "--worktree", "none", env=fleet_env
    )
    assert result.code == 1
    assert "exit 7" in result.err and "boom: no API key" in result.err
    shown = bosun.ok("identity", "show", "polecat", "dud")
    assert shown["status"] == "crashed"
    kinds = [e["kind"] for e in bosun.ok("events", "--subject", "polecat/dud")]
    assert "agent.launched" in kinds and "agent.ended" in kinds
