"""Sessions a CLI names itself (Codex, Gemini CLI): their ids and context use, read from the
CLI's own session files.

Claude Code takes the id bosun chooses (`--session-id`); Codex and Gemini CLI choose their
own, so bosun finds it afterwards in the files they write (as observed with Codex 0.171 and
Gemini CLI 0.61, docs/agents.md):

- Codex: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<ts>-<id>.jsonl`; the first record is
  `session_meta` with `payload.id` and `payload.cwd`; `event_msg` records of type
  `token_count` carry `info.last_token_usage.input_tokens` and `info.model_context_window`.
- Gemini CLI: `~/.gemini/projects.json` maps the directory to a project name; the chats are
  `~/.gemini/tmp/<name>/chats/session-*.jsonl`, whose first record has `sessionId`;
  message records carry `tokens.input`.

Pure reading: nothing here writes, and a file that does not parse is skipped.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bosun.agents.sessions import AgentSession
    from bosun.core.context import Context

# Gemini CLI reports no window in its files: the documented window of its models.
GEMINI_WINDOW = 1_048_576
GEMINI_TOKENS = re.compile(r'"tokens":\{"input":(\d+)')
CLOCK_SLACK = 5.0  # seconds a file may predate the session's recorded start


@dataclass(frozen=True)
class CliSession:
    session_id: str
    path: Path
    context_pct: float | None = None


def find_cli_session(
    kind: str, cwd: str, env: Mapping[str, str], since: float
) -> CliSession | None:
    """The newest session of `kind` ("codex", "gemini") for `cwd` written since `since`."""
    if kind == "codex":
        return _codex(Path(_codex_home(env)), cwd, since)
    if kind == "gemini":
        return _gemini(Path(env.get("HOME") or Path.home()) / ".gemini", cwd, since)
    return None


def capture_session_id(ctx: Context, session: AgentSession, kind: str, cwd: Path) -> str | None:
    """The id of `session`'s conversation as the CLI named it, recorded on the identity."""
    if kind == "none":
        return None
    env = {**os.environ, **session.extra_env}
    found = find_cli_session(kind, str(cwd), env, session.started_at)
    if found is None:
        return None
    with ctx.store.transaction() as tx:
        tx.emit(
            "agent.session_id",
            session.ref,
            {"session_id": found.session_id, "file": str(found.path)},
        )
    ctx.identities.create(session.role, session.name, session_id=found.session_id)
    return found.session_id


def _codex_home(env: Mapping[str, str]) -> str:
    return env.get("CODEX_HOME") or str(Path(env.get("HOME") or Path.home()) / ".codex")


def _records(path: Path) -> list[dict[str, Any]]:
    out = []
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    out.append(record)
    except OSError:
        return []
    return out


def _newest(paths: list[Path], since: float) -> list[Path]:
    dated = []
    for path in paths:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if mtime >= since - CLOCK_SLACK:
            dated.append((mtime, path))
    return [p for _, p in sorted(dated, reverse=True)]


def _codex(home: Path, cwd: str, since: float) -> CliSession | None:
    for path in _newest(list(home.glob("sessions/*/*/*/rollout-*.jsonl")), since):
        records = _records(path)
        meta = next((r.get("payload") for r in records if r.get("type") == "session_meta"), None)
        if not isinstance(meta, dict) or not _same_dir(meta.get("cwd"), cwd):
            continue
        session_id = meta.get("id") or meta.get("session_id")
        if not isinstance(session_id, str):
            continue
        return CliSession(session_id, path, _codex_context(records))
    return None


def _codex_context(records: list[dict[str, Any]]) -> float | None:
    for record in reversed(records):
        payload = record.get("payload")
        if not isinstance(payload, dict) or payload.get("type") != "token_count":
            continue
        info = payload.get("info")
        if not isinstance(info, dict):
            continue
        used = (info.get("last_token_usage") or {}).get("input_tokens")
        window = info.get("model_context_window")
        if isinstance(used, int) and isinstance(window, int) and window > 0:
            return round(100.0 * used / window, 1)
    return None


def _gemini(root: Path, cwd: str, since: float) -> CliSession | None:
    try:
        projects = json.loads((root / "projects.json").read_text(encoding="utf-8"))["projects"]
    except (OSError, ValueError, KeyError, TypeError):
        projects = {}
    names = [n for p, n in projects.items() if _same_dir(p, cwd)] or [Path(cwd).name]
    for path in _newest(list((root / "tmp" / names[0] / "chats").glob("session-*.jsonl")), since):
        records = _records(path)
        session_id = records[0].get("sessionId") if records else None
        if isinstance(session_id, str):
            return CliSession(session_id, path, _gemini_context(path))
    return None


def _gemini_context(path: Path) -> float | None:
    """The input tokens of the last message that reports them, as a share of the window."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = GEMINI_TOKENS.findall(text)
    return round(100.0 * int(found[-1]) / GEMINI_WINDOW, 1) if found else None


def _same_dir(a: Any, b: str) -> bool:
    if not isinstance(a, str):
        return False
    return os.path.realpath(a) == os.path.realpath(b)
