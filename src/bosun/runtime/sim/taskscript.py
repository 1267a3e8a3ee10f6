"""The sim agent's task script: a small plan carried in a work item's body.

The body may hold one fenced block tagged ``bosun-task`` whose content is a JSON object::

    ```bosun-task
    {
      "steps": [
        {"phase": "executing"},
        {"write": {"path": "hello.txt", "content": "hello\\n"}},
        {"run": "python -m pytest -q", "check": true},
        {"commit": "add hello"},
        {"heartbeat": true},
        {"work": 0.5},
        {"say": "ready on {branch}"},
        {"permission": "push the branch"},
        {"signal": "MERGE_READY", "to": "refinery/main", "payload": {"branch": "{branch}"}}
      ],
      "faults": {"crash_at_step": 2, "once": true},
      "context": {"window": 200000, "start": 12000, "per_step": 4000, "per_prompt": 1500}
    }
    ```

JSON was chosen over TOML because a list of one-key tables reads naturally in JSON and
the work item body is usually written by another program.

Steps (exactly one kind per step object):

- ``run``: a shell command (``/bin/sh -c``) in the agent's working directory; a non-zero exit
  fails the step unless ``"check": false``. Optional ``"timeout"`` seconds (default 600).
- ``write``: ``{"path", "content", "append"?}``; the path is relative and stays inside the
  working directory.
- ``commit``: ``git add -A`` and ``git commit -m MESSAGE``; nothing to commit is not an error.
- ``phase``: ``bosun hook update-phase ROLE NAME PHASE``.
- ``heartbeat``: ``bosun identity heartbeat ROLE NAME`` (the value must be ``true``).
- ``signal``: ``bosun signal send TO TYPE --payload JSON --from ROLE/NAME``; ``to`` is required.
- ``work``: seconds of simulated busy work (0..3600).
- ``say``: prints a line as the agent's turn output.
- ``permission``: shows ``Allow this action? [y/n]``; ``n`` stops the plan at this step
  (the next prompt asks again).

String values of ``say``, ``run``, ``commit`` and signal payloads may use the placeholders
``{branch}``, ``{head}``, ``{identity}``, ``{work_id}`` and ``{cwd}``.
A bad script raises ``TaskScriptError`` naming the step and the field.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from bosun.base.errors import InvalidInput

FENCE_RE = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*bosun-task[ \t]*$", re.MULTILINE)
HINT = 'write a ```bosun-task block holding {"steps": [{"say": "hi"}, …]}'
MAX_WORK_SECONDS = 3600.0


class TaskScriptError(InvalidInput):
    code = "bad_task_script"


class StepKind(StrEnum):
    RUN = "run"
    WRITE = "write"
    COMMIT = "commit"
    PHASE = "phase"
    HEARTBEAT = "heartbeat"
    SIGNAL = "signal"
    WORK = "work"
    SAY = "say"
    PERMISSION = "permission"


@dataclass(frozen=True)
class Step:
    """One step of the plan. `text` holds the main string (command, message, phase, …)."""

    kind: StepKind
    text: str = ""
    path: str = ""
    append: bool = False
    check: bool = True
    timeout: float = 600.0
    seconds: float = 0.0
    to: str = ""
    payload: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """A short one-line description for the screen and the checkpoint note."""
        if self.kind == StepKind.WRITE:
            return f"write {self.path}"
        if self.kind == StepKind.WORK:
            return f"work {self.seconds:g}s"
        if self.kind == StepKind.HEARTBEAT:
            return "heartbeat"
        if self.kind == StepKind.SIGNAL:
            return f"signal {self.text} to {self.to}"
        first = self.text.splitlines()[0] if self.text else ""
        return f"{self.kind} {first[:50]}".rstrip()


@dataclass(frozen=True)
class TaskScript:
    steps: tuple[Step, ...]
    faults: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


def extract_block(body: str) -> str | None:
    """The content of the one ```bosun-task block in `body`, or None when there is none."""
    matches = list(FENCE_RE.finditer(body))
    if not matches:
        return None
    if len(matches) > 1:
        raise TaskScriptError("the work item body has more than one bosun-task block", HINT)
    match = matches[0]
    fence = match.group("fence")
    rest = body[match.end() :]
    closing = re.search(rf"^{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", rest, re.MULTILINE)
    if closing is None:
        raise TaskScriptError("the bosun-task block is never closed", f"end it with {fence}")
    return rest[: closing.start()].strip("\n")


def find_task_script(body: str | None) -> TaskScript | None:
    """Parse the task script in a work item body; None when the body carries none."""
    if not body:
        return None
    block = extract_block(body)
    return None if block is None else parse_task_script(block)


def parse_task_script(text: str) -> TaskScript:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaskScriptError(
            f"task script is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", HINT
        ) from exc
    if not isinstance(data, dict):
        raise TaskScriptError("task script must be a JSON object", HINT)
    unknown = sorted(set(data) - {"steps", "faults", "context"})
    if unknown:
        raise TaskScriptError(
            f"task script has unknown key {unknown[0]!r}", "top-level keys: steps, faults, context"
        )
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list):
        raise TaskScriptError("task script needs a list of steps", HINT)
    faults = data.get("faults", {})
    context = data.get("context", {})
    for key, value in (("faults", faults), ("context", context)):
        if not isinstance(value, dict):
            raise TaskScriptError(f"task script {key} must be a JSON object", HINT)
    steps = tuple(parse_step(raw, i) for i, raw in enumerate(raw_steps, 1))
    return TaskScript(steps, faults, context)


_EXTRA_KEYS: dict[StepKind, frozenset[str]] = {
    StepKind.RUN: frozenset({"check", "timeout"}),
    StepKind.SIGNAL: frozenset({"to", "payload"}),
}


def parse_step(raw: Any, index: int) -> Step:
    where = f"step {index}"
    if not isinstance(raw, dict) or not raw:
        raise TaskScriptError(f'{where} must be a JSON object such as {{"say": "hi"}}', HINT)
    kinds = [k for k in raw if k in StepKind.__members__.values()]
    if len(kinds) != 1:
        found = ", ".join(sorted(raw)) or "nothing"
        raise TaskScriptError(
            f"{where} must have exactly one of: {', '.join(StepKind)} (found {found})", HINT
        )
    kind = StepKind(kinds[0])
    extra = sorted(set(raw) - {kind.value} - _EXTRA_KEYS.get(kind, frozenset()))
    if extra:
        raise TaskScriptError(f"{where} ({kind}) has unknown key {extra[0]!r}", HINT)
    value = raw[kind.value]
    if kind == StepKind.WRITE:
        return _write_step(value, where)
    if kind == StepKind.RUN:
        check = raw.get("check", True)
        timeout = raw.get("timeout", 600.0)
        if not isinstance(check, bool):
            raise TaskScriptError(f"{where} check must be true or false", HINT)
        _positive(timeout, f"{where} timeout", MAX_WORK_SECONDS)
        return Step(kind, _string(value, f"{where} run"), check=check, timeout=float(timeout))
    if kind == StepKind.WORK:
        _positive(value, f"{where} work", MAX_WORK_SECONDS, allow_zero=True)
        return Step(kind, seconds=float(value))
    if kind == StepKind.HEARTBEAT:
        if value is not True:
            raise TaskScriptError(f"{where} heartbeat must be true", '{"heartbeat": true}')
        return Step(kind)
    if kind == StepKind.SIGNAL:
        to = raw.get("to")
        if not isinstance(to, str) or to.count("/") != 1:
            raise TaskScriptError(f'{where} signal needs "to": "role/name"', HINT)
        payload = raw.get("payload", {})
        if not isinstance(payload, dict):
            raise TaskScriptError(f"{where} signal payload must be a JSON object", HINT)
        return Step(kind, _string(value, f"{where} signal"), to=to, payload=payload)
    return Step(kind, _string(value, f"{where} {kind}"))


def _write_step(value: Any, where: str) -> Step:
    if not isinstance(value, dict):
        raise TaskScriptError(f"{where} write must be an object with path and content", HINT)
    extra = sorted(set(value) - {"path", "content", "append"})
    if extra:
        raise TaskScriptError(f"{where} write has unknown key {extra[0]!r}", HINT)
    path = _string(value.get("path"), f"{where} write path")
    content = value.get("content")
    if not isinstance(content, str):
        raise TaskScriptError(f"{where} write content must be a string", HINT)
    append = value.get("append", False)
    if not isinstance(append, bool):
        raise TaskScriptError(f"{where} write append must be true or false", HINT)
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise TaskScriptError(
            f"{where} write path {path!r} leaves the working directory",
            "use a relative path without '..'",
        )
    return Step(StepKind.WRITE, content, path=path, append=append)


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TaskScriptError(f"{what} must be a non-empty string", HINT)
    return value


def _positive(value: Any, what: str, limit: float, allow_zero: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero) or value > limit:
        low = "0" if allow_zero else "more than 0"
        raise TaskScriptError(f"{what} must be a number from {low} to {limit:g} seconds", HINT)


def expand(text: str, values: dict[str, str]) -> str:
    """Replace the known `{placeholder}`s; other braces are left alone."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def expand_payload(payload: Any, values: dict[str, str]) -> Any:
    if isinstance(payload, str):
        return expand(payload, values)
    if isinstance(payload, list):
        return [expand_payload(v, values) for v in payload]
    if isinstance(payload, dict):
        return {k: expand_payload(v, values) for k, v in payload.items()}
    return payload
