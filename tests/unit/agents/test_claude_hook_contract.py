"""Claude Code hook handlers against the documented contract: each handler is fed the
documented stdin JSON (plus missing/extra fields and garbage) and its exact stdout and exit
code are asserted. Run through the real CLI (`bosun claude-hook EVENT`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clirunner import Bosun

AGENT = {"BOSUN_IDENTITY": "polecat/toast"}


def hook(
    bosun: Bosun,
    event: str,
    payload: Any,
    env: dict[str, str] | None = None,
    raw: str | None = None,
) -> tuple[str, int]:
    stdin = raw if raw is not None else json.dumps(payload)
    result = bosun("claude-hook", event, env=env if env is not None else AGENT, stdin=stdin)
    assert "Traceback" not in result.err
    return result.out, result.code


@pytest.fixture
def agent(bosun: Bosun) -> Bosun:
    bosun.ok("identity", "create", "polecat", "toast", "--runtime", "claude")
    work = bosun.ok("work", "create", "Add login", "--body", "Build the login form.")
    bosun.ok("hook", "pin", "polecat", "toast", work["id"])
    bosun.ok("hook", "update-phase", "polecat", "toast", "executing")
    return bosun


BASE = {
    "session_id": "5b3c2a1e-0000-4000-8000-000000000001",
    "transcript_path": "/tmp/t.jsonl",
    "cwd": "/tmp",
    "permission_mode": "default",
}


def test_session_start_emits_the_prime_block_and_records_the_session(agent: Bosun) -> None:
    for source in ("startup", "resume", "clear", "compact"):
        out, code = hook(
            agent,
            "SessionStart",
            {**BASE, "hook_event_name": "SessionStart", "source": source, "model": "claude-x"},
        )
        assert code == 0
        data = json.loads(out)
        assert data["hookSpecificOutput"]["hookEventName"] == "SessionStart"
        context = data["hookSpecificOutput"]["additionalContext"]
        assert "polecat/toast" in context and "Add login" in context and "executing" in context
    shown = agent.ok("identity", "show", "polecat", "toast")
    assert shown["session_id"] == BASE["session_id"]


def test_stop_is_blocked_while_work_is_unfinished_then_lets_go(agent: Bosun) -> None:
    payload = {
        **BASE,
        "hook_event_name": "Stop",
        "stop_hook_active": False,
        "last_assistant_message": "Working on it.",
    }
    for _ in range(3):
        out, code = hook(agent, "Stop", payload)
        assert code == 0
        data = json.loads(out)
        assert data["decision"] == "block" and "Add login" in data["reason"]
    out, code = hook(agent, "Stop", payload)  # the 4th consecutive stop goes through
    assert (out, code) == ("", 0)
    out, code = hook(agent, "Stop", payload)  # and the count starts again
    assert json.loads(out)["decision"] == "block"


def test_stop_is_never_blocked_when_the_hook_is_already_continuing(agent: Bosun) -> None:
    out, code = hook(agent, "Stop", {**BASE, "stop_hook_active": True})
    assert (out, code) == ("", 0)


def test_stop_goes_through_when_the_work_is_done_or_waiting(agent: Bosun) -> None:
    agent.ok("hook", "update-phase", "polecat", "toast", "impl_complete")
    agent.ok("hook", "update-phase", "polecat", "toast", "merge_ready")
    out, code = hook(agent, "Stop", {**BASE, "stop_hook_active": False})
    assert (out, code) == ("", 0)


def test_pre_compact_checkpoints_the_hook(agent: Bosun) -> None:
    out, code = hook(agent, "PreCompact", {**BASE, "trigger": "auto", "custom_instructions": ""})
    assert (out, code) == ("", 0)
    assert "compaction" in agent.ok("hook", "show", "polecat", "toast")["checkpoint_note"]


def test_user_prompt_submit_injects_unread_signals_once(agent: Bosun) -> None:
    agent.ok(
        "signal", "send", "polecat/toast", "MERGE_FAILED", "--payload", '{"files": ["app.py"]}'
    )
    out, code = hook(agent, "UserPromptSubmit", {**BASE, "prompt": "continue"})
    assert code == 0
    context = json.loads(out)["hookSpecificOutput"]["additionalContext"]
    assert "MERGE_FAILED" in context and "app.py" in context
    assert hook(agent, "UserPromptSubmit", {**BASE, "prompt": "again"}) == ("", 0)


def test_notification_records_waiting(agent: Bosun) -> None:
    out, code = hook(
        agent,
        "Notification",
        {
            **BASE,
            "notification_type": "permission_prompt",
            "message": "Claude needs your permission",
            "title": "x",
        },
    )
    assert (out, code) == ("", 0)
    [event] = agent.ok("events", "--kind", "claude.notification")
    assert event["data"]["waiting"] is True and event["data"]["type"] == "permission_prompt"


def test_statusline_records_context_usage(agent: Bosun, project: Path) -> None:
    window = {
        "total_input_tokens": 90000,
        "total_output_tokens": 1000,
        "context_window_size": 200000,
        "used_percentage": 45,
        "remaining_percentage": 55,
        "current_usage": None,
    }
    out, code = hook(
        agent,
        "statusline",
        {
            **BASE,
            "context_window": window,
            "model": {"id": "x", "display_name": "X"},
            "extra_field": [1, 2],
        },
    )
    assert (out.strip(), code) == ("bosun polecat/toast · ctx 45%", 0)
    saved = json.loads((project / ".bosun/state/context/polecat-toast.json").read_text())
    assert saved["used_percentage"] == 45
    [row] = agent.ok("agent", "list")
    assert row["context_pct"] == 45


@pytest.mark.parametrize(
    "event", ["SessionStart", "PreCompact", "Stop", "UserPromptSubmit", "Notification"]
)
@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "\x00\x01", '{"session_id": 5}', ""])
def test_garbage_fails_open(agent: Bosun, event: str, raw: str) -> None:
    out, code = hook(agent, event, None, raw=raw)
    assert code == 0
    assert out == "" or json.loads(out)  # never a traceback, never a crash


def test_outside_a_bosun_session_the_hooks_do_nothing(agent: Bosun) -> None:
    assert hook(agent, "Stop", {**BASE}, env={}) == ("", 0)
    assert hook(agent, "statusline", {**BASE}, env={})[0].strip() == "bosun no bosun identity"


def test_a_broken_store_fails_open(agent: Bosun, project: Path) -> None:
    db = project / ".bosun" / "bosun.db"
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    db.write_bytes(b"garbage" * 100)
    assert hook(agent, "Stop", {**BASE, "stop_hook_active": False}) == ("", 0)


def test_hooks_install_writes_settings_and_merges_project_only_when_asked(
    agent: Bosun, project: Path
) -> None:
    claude_dir = project / ".claude"
    claude_dir.mkdir()
    (claude_dir / "settings.json").write_text(
        json.dumps(
            {
                "model": "opus",
                "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "mine"}]}]},
            }
        )
    )
    result = agent.ok("hooks", "install", "--runtime", "claude")
    settings = json.loads(Path(result["settings_file"]).read_text())
    assert set(settings["hooks"]) == {
        "SessionStart",
        "PreCompact",
        "Stop",
        "UserPromptSubmit",
        "Notification",
    }
    assert "claude-hook" in settings["statusLine"]["command"]
    mcp = json.loads(Path(result["mcp_config"]).read_text())
    assert mcp["mcpServers"]["bosun"]["args"][-2:] == ["mcp", "serve"]
    assert (
        json.loads((claude_dir / "settings.json").read_text())["hooks"]["Stop"][0]["hooks"][0][
            "command"
        ]
        == "mine"
    )
    agent.ok("hooks", "install", "--project")
    agent.ok("hooks", "install", "--project")  # idempotent
    merged = json.loads((claude_dir / "settings.json").read_text())
    assert merged["model"] == "opus"
    commands = [h["command"] for e in merged["hooks"]["Stop"] for h in e["hooks"]]
    assert commands[0] == "mine" and len(commands) == 2 and "claude-hook" in commands[1]
    assert "bosun" in json.loads((project / ".mcp.json").read_text())["mcpServers"]


def test_the_claude_preset_passes_settings_and_mcp_config(project: Path) -> None:
    from bosun.runtime.presets import get_preset

    argv = get_preset("claude").launch_argv(
        session_id="s-1", prompt="go", settings_file=str(project / "x" / "settings.json")
    )
    assert argv[argv.index("--settings") + 1] == str(project / "x" / "settings.json")
    assert argv[argv.index("--mcp-config") + 1] == str(project / "x" / "mcp.json")
    assert argv[argv.index("--session-id") + 1] == "s-1" and argv[-2:] == ["--", "go"]
