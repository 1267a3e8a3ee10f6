"""Finding a Codex or Gemini CLI session (id, context use) in the CLI's own files."""

from __future__ import annotations

import json
from pathlib import Path

from bosun.agents.cli_sessions import GEMINI_WINDOW, find_cli_session


def _codex_rollout(home: Path, cwd: str, thread: str, used: int) -> Path:
    day = home / "sessions" / "2026" / "12" / "03"
    day.mkdir(parents=True, exist_ok=True)
    path = day / f"rollout-2026-12-03T13-55-09-{thread}.jsonl"
    meta = {"type": "session_meta", "payload": {"id": thread, "cwd": cwd}}
    info = {"last_token_usage": {"input_tokens": used}, "model_context_window": 200_000}
    count = {"type": "event_msg", "payload": {"type": "token_count", "info": info}}
    path.write_text(json.dumps(meta) + "\n" + json.dumps(count) + "\n")
    return path


def test_codex_session_is_the_rollout_whose_meta_names_the_worktree(tmp_path: Path) -> None:
    home, work = tmp_path / "codex", tmp_path / "work"
    work.mkdir()
    _codex_rollout(home, str(tmp_path / "other"), "t-other", 10)
    _codex_rollout(home, str(work), "t-mine", 150_000)
    found = find_cli_session("codex", str(work), {"CODEX_HOME": str(home)}, since=0)
    assert found is not None and found.session_id == "t-mine" and found.context_pct == 75.0


def test_a_session_older_than_the_bosun_session_is_not_taken(tmp_path: Path) -> None:
    home, work = tmp_path / "codex", tmp_path / "work"
    work.mkdir()
    path = _codex_rollout(home, str(work), "t-old", 10)
    since = path.stat().st_mtime + 60
    assert find_cli_session("codex", str(work), {"CODEX_HOME": str(home)}, since) is None


def test_gemini_session_is_found_through_projects_json(tmp_path: Path) -> None:
    root, work = tmp_path / "home" / ".gemini", tmp_path / "wt" / "toast"
    work.mkdir(parents=True)
    root.mkdir(parents=True)
    (root / "projects.json").write_text(json.dumps({"projects": {str(work): "toast-1"}}))
    chats = root / "tmp" / "toast-1" / "chats"
    chats.mkdir(parents=True)
    first = {"sessionId": "7735ee97-aaaa", "kind": "main"}
    msg = {"$set": {"messages": [{"type": "gemini", "tokens": {"input": GEMINI_WINDOW // 2}}]}}
    (chats / "session-2026-12-03T13-55-7735ee97.jsonl").write_text(
        json.dumps(first) + "\n" + json.dumps(msg, separators=(",", ":")) + "\n"
    )
    found = find_cli_session("gemini", str(work), {"HOME": str(tmp_path / "home")}, since=0)
    assert found is not None and found.session_id == "7735ee97-aaaa"
    assert found.context_pct == 50.0


def test_no_files_no_session(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "CODEX_HOME": str(tmp_path / "c")}
    assert find_cli_session("codex", str(tmp_path), env, 0) is None
    assert find_cli_session("gemini", str(tmp_path), env, 0) is None
    assert find_cli_session("none", str(tmp_path), env, 0) is None
