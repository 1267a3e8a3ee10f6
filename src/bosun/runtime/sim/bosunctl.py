"""How the sim agent talks to bosun: through the `bosun` CLI, as a real agent does.

Every call runs `[sys.executable, "-m", "bosun", …]` (or the argv in `BOSUN_SIM_BOSUN`,
split like a shell line) with the agent's environment, `BOSUN_IDENTITY` set, and stdin
closed so no child ever reads the agent's terminal.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bosun.base.errors import OperationFailed

CALL_TIMEOUT = 120.0


class BosunCallFailed(OperationFailed):
    code = "bosun_call_failed"


class BosunClient(Protocol):
    def prime(self) -> dict[str, Any]: ...
    def checkpoint(self, note: str) -> None: ...
    def update_phase(self, phase: str) -> None: ...
    def heartbeat(self) -> None: ...
    def send_signal(self, to: str, kind: str, payload: dict[str, Any]) -> None: ...
    def ack_signal(self, signal_id: str) -> None: ...
    def observe_turn(self, text: str) -> None: ...


@dataclass(frozen=True)
class PrimeInfo:
    """The parts of `bosun prime --json` the sim agent uses (missing parts are None)."""

    identity: str
    work_id: str | None = None
    work_title: str | None = None
    work_body: str | None = None
    work_status: str | None = None
    phase: str | None = None
    unfinished: bool = False
    checkpoint_note: str | None = None
    resumption: str | None = None
    next_text: str | None = None
    unread_signals: int = 0
    signals: tuple[dict[str, Any], ...] = ()

    def merge_conflict(self) -> dict[str, Any] | None:
        """The newest unread MERGE_FAILED that reports a conflict of this hook's work."""
        for signal in reversed(self.signals):
            payload = signal.get("payload")
            if (
                signal.get("type") == "MERGE_FAILED"
                and signal.get("unread", True)
                and isinstance(payload, dict)
                and payload.get("reason") == "conflict"
                and payload.get("work_id") in (None, self.work_id)
                and isinstance(payload.get("target"), str)
            ):
                return dict(signal)
        return None

    @classmethod
    def from_json(cls, data: dict[str, Any], fallback_identity: str) -> PrimeInfo:
        hook = data.get("hook") if isinstance(data.get("hook"), dict) else None
        work = data.get("work") if isinstance(data.get("work"), dict) else None
        if work is None and hook is not None and isinstance(hook.get("work"), dict):
            work = hook["work"]
        identity = data.get("identity")
        if isinstance(identity, dict):
            identity = identity.get("identity") or identity.get("ref")
        phase = _str(hook.get("phase")) if hook else None
        unfinished = bool(
            hook.get("unfinished", phase not in (None, "released", "merged")) if hook else False
        )
        signals = data.get("signals")
        next_value = data.get("next")
        if isinstance(next_value, list):
            next_value = next((v for v in next_value if isinstance(v, str) and v), None)
        return cls(
            identity=_str(identity) or fallback_identity,
            work_id=_str(work.get("id")) if work else (_str(hook.get("work_id")) if hook else None),
            work_title=_str(work.get("title")) if work else None,
            work_body=_str(work.get("body")) if work else None,
            work_status=_str(work.get("status")) if work else None,
            phase=phase,
            unfinished=unfinished,
            checkpoint_note=_str(hook.get("checkpoint_note")) if hook else None,
            resumption=_str(hook.get("resumption")) if hook else None,
            next_text=_str(next_value),
            unread_signals=len(signals) if isinstance(signals, list) else 0,
            signals=tuple(s for s in signals if isinstance(s, dict))
            if isinstance(signals, list)
            else (),
        )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class CliBosun:
    """A `BosunClient` that runs the real CLI."""

    def __init__(self, role: str, name: str, env: Mapping[str, str]) -> None:
        self.role, self.name = role, name
        self.env = {**env, "BOSUN_IDENTITY": f"{role}/{name}"}
        raw = env.get("BOSUN_SIM_BOSUN")
        self.argv = shlex.split(raw) if raw else [sys.executable, "-m", "bosun"]

    def run(self, *args: str) -> str:
        argv = [*self.argv, *args]
        try:
            out = subprocess.run(
                argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=CALL_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BosunCallFailed(
                f"`bosun {args[0]}` could not run: {exc}", "check that bosun is installed"
            ) from exc
        if out.returncode != 0:
            raise BosunCallFailed(
                f"`bosun {' '.join(args[:2])}` exited {out.returncode}: {_error_line(out)}",
                "see the line above; the agent retries on its next prompt",
            )
        return out.stdout

    def prime(self) -> dict[str, Any]:
        text = self.run("prime", "--json")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BosunCallFailed("`bosun prime --json` printed no JSON", text[:200]) from exc
        if not isinstance(data, dict):
            raise BosunCallFailed("`bosun prime --json` printed no JSON object", text[:200])
        return data

    def checkpoint(self, note: str) -> None:
        self.run("hook", "checkpoint", self.role, self.name, "--note", note)

    def update_phase(self, phase: str) -> None:
        self.run("hook", "update-phase", self.role, self.name, phase)

    def heartbeat(self) -> None:
        self.run("identity", "heartbeat", self.role, self.name)

    def send_signal(self, to: str, kind: str, payload: dict[str, Any]) -> None:
        self.run(
            "signal",
            "send",
            to,
            kind,
            "--payload",
            json.dumps(payload, sort_keys=True),
            "--from",
            f"{self.role}/{self.name}",
        )

    def ack_signal(self, signal_id: str) -> None:
        self.run("signal", "ack", signal_id)

    def observe_turn(self, text: str) -> None:
        """Report a turn's final output to the action-claim sentinel (what Claude Code's
        Stop hook does with `last_assistant_message`)."""
        self.run("sentinel", "observe", "--identity", f"{self.role}/{self.name}", "--text", text)


def _error_line(out: subprocess.CompletedProcess[str]) -> str:
    for line in (out.stderr or "").splitlines() + (out.stdout or "").splitlines():
        if line.strip():
            return line.strip()[:200]
    return "(no output)"
