"""A model script: the turns `bosun model serve` plays in place of a model provider.

A script is TOML: an optional `[model]` table and a list of `[[turn]]` tables. Turn n of a
conversation is chosen by counting the model replies already in the request's history, so a
resumed session (which resends its history) continues at the right step and a fresh session
starts at turn 1. See docs/model-server.md for the format.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bosun.base.errors import InvalidInput

FAULTS = ("stall", "drop", "overloaded", "rate_limit", "server_error")
_TURN_KEYS = {
    "text",
    "shell",
    "tool",
    "input",
    "match",
    "fault",
    "fault_times",
    "stall_seconds",
    "input_tokens",
    "output_tokens",
    "context_used",
}
_MODEL_KEYS = {"context_window", "side_text", "done_text", "retry_after_ms"}
_HINT = "see docs/model-server.md for the script format"


@dataclass(frozen=True)
class Turn:
    """One scripted model reply: text, a tool call, or both (text first); maybe a fault."""

    number: int
    text: str = ""
    shell: str | None = None
    tool: str | None = None
    tool_input: dict[str, Any] = field(default_factory=dict)
    match: str | None = None
    fault: str | None = None
    fault_times: int = 1
    stall_seconds: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    context_used: float | None = None

    @property
    def calls_tool(self) -> bool:
        return self.shell is not None or self.tool is not None


@dataclass(frozen=True)
class Script:
    turns: tuple[Turn, ...]
    context_window: int = 200_000
    side_text: str = "Scripted session"
    done_text: str = "The script has no more turns."
    retry_after_ms: int = 200

    def next_turn(self, replies: int, last_user_text: str) -> Turn | None:
        """The turn that answers a conversation holding `replies` model replies.

        The first turn at or after position `replies` whose `match` (if any) occurs in the
        last user message; None when the script is used up.
        """
        for turn in self.turns[replies:]:
            if turn.match is None or turn.match in last_user_text:
                return turn
        return None


def load_script(path: Path) -> Script:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read model script {path}: {exc.strerror}", _HINT) from exc
    return parse_script(text, str(path))


def parse_script(text: str, source: str = "<script>") -> Script:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{source}: not valid TOML: {exc}", _HINT) from exc
    unknown = set(data) - {"model", "turn"}
    if unknown:
        raise InvalidInput(f"{source}: unknown table {sorted(unknown)[0]!r}", _HINT)
    model = data.get("model", {})
    if not isinstance(model, dict):
        raise InvalidInput(f"{source}: [model] must be a table", _HINT)
    _no_unknown(source, "[model]", model, _MODEL_KEYS)
    raw_turns = data.get("turn", [])
    if not isinstance(raw_turns, list) or not raw_turns:
        raise InvalidInput(f"{source}: the script has no [[turn]] tables", _HINT)
    turns = tuple(_parse_turn(source, i + 1, raw) for i, raw in enumerate(raw_turns))
    return Script(
        turns=turns,
        context_window=_int(source, "[model]", model, "context_window", 200_000, minimum=1),
        side_text=_str(source, "[model]", model, "side_text", "Scripted session"),
        done_text=_str(source, "[model]", model, "done_text", "The script has no more turns."),
        retry_after_ms=_int(source, "[model]", model, "retry_after_ms", 200, minimum=0),
    )


def _parse_turn(source: str, number: int, raw: Any) -> Turn:
    where = f"turn {number}"
    if not isinstance(raw, dict):
        raise InvalidInput(f"{source}: {where} must be a table", _HINT)
    _no_unknown(source, where, raw, _TURN_KEYS)
    shell = raw.get("shell")
    tool = raw.get("tool")
    if shell is not None and tool is not None:
        raise InvalidInput(f"{source}: {where}: give either shell or tool, not both", _HINT)
    tool_input = raw.get("input", {})
    if not isinstance(tool_input, dict):
        raise InvalidInput(f"{source}: {where}: input must be a table", _HINT)
    if tool_input and tool is None:
        raise InvalidInput(f'{source}: {where}: input needs tool = "NAME"', _HINT)
    fault = raw.get("fault")
    if fault is not None and fault not in FAULTS:
        raise InvalidInput(
            f"{source}: {where}: unknown fault {fault!r}", f"use one of {', '.join(FAULTS)}"
        )
    text = _str(source, where, raw, "text", "")
    if not text and shell is None and tool is None:
        raise InvalidInput(f"{source}: {where}: needs text, shell or tool", _HINT)
    context_used = raw.get("context_used")
    if context_used is not None and (
        not isinstance(context_used, int | float) or not 0 <= context_used <= 1
    ):
        raise InvalidInput(f"{source}: {where}: context_used must be a fraction 0..1", _HINT)
    stall = raw.get("stall_seconds")
    if stall is not None and (not isinstance(stall, int | float) or stall < 0):
        raise InvalidInput(f"{source}: {where}: stall_seconds must be a number >= 0", _HINT)
    return Turn(
        number=number,
        text=text,
        shell=_opt_str(source, where, raw, "shell"),
        tool=_opt_str(source, where, raw, "tool"),
        tool_input=tool_input,
        match=_opt_str(source, where, raw, "match"),
        fault=fault,
        fault_times=_int(source, where, raw, "fault_times", 1, minimum=1),
        stall_seconds=None if stall is None else float(stall),
        input_tokens=_opt_int(source, where, raw, "input_tokens"),
        output_tokens=_opt_int(source, where, raw, "output_tokens"),
        context_used=None if context_used is None else float(context_used),
    )


def _no_unknown(source: str, where: str, table: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise InvalidInput(
            f"{source}: {where}: unknown field {unknown[0]!r}", f"known: {', '.join(sorted(known))}"
        )


def _str(source: str, where: str, table: dict[str, Any], key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise InvalidInput(f"{source}: {where}: {key} must be a string", _HINT)
    return value


def _opt_str(source: str, where: str, table: dict[str, Any], key: str) -> str | None:
    if key not in table:
        return None
    value = _str(source, where, table, key, "")
    if not value:
        raise InvalidInput(f"{source}: {where}: {key} must not be empty", _HINT)
    return value


def _int(
    source: str, where: str, table: dict[str, Any], key: str, default: int, *, minimum: int
) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidInput(f"{source}: {where}: {key} must be an integer >= {minimum}", _HINT)
    return value


def _opt_int(source: str, where: str, table: dict[str, Any], key: str) -> int | None:
    return _int(source, where, table, key, 0, minimum=0) if key in table else None
