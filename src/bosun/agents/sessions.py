"""Agent sessions in the store: one row per incarnation, enough to drive it again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso

if TYPE_CHECKING:
    from bosun.store.protocol import Tx


OPERATOR_STOP = "stopped by operator"  # the end reason `bosun agent stop` records


@dataclass(frozen=True)
class AgentSession:
    role: str
    name: str
    incarnation: int
    driver: str
    socket: str
    session: str
    target: str
    pid: int | None
    preset: str
    started_at: float
    session_id: str | None = None
    host: str = ""
    worktree: str | None = None
    env: str = "{}"  # JSON: the extra environment the session was spawned with
    ready_at: float | None = None
    ended_at: float | None = None
    exit_code: int | None = None
    end_reason: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.role}/{self.name}"

    @property
    def live(self) -> bool:
        return self.ended_at is None

    @property
    def stopped_by_operator(self) -> bool:
        """Its end was an operator's `bosun agent stop`: nothing automatic may undo it."""
        return not self.live and (self.end_reason or "").startswith(OPERATOR_STOP)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AgentSession:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})

    @property
    def extra_env(self) -> dict[str, str]:
        return dict(json.loads(self.env or "{}"))

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "env"}
        for key in ("started_at", "ready_at", "ended_at"):
            data[key] = iso(data[key])
        data["identity"] = self.ref
        return data


def record_session(tx: Tx, session: AgentSession) -> None:
    tx.run(
        "agent_session_insert",
        role=session.role,
        name=session.name,
        incarnation=session.incarnation,
        driver=session.driver,
        socket=session.socket,
        session=session.session,
        target=session.target,
        pid=session.pid,
        preset=session.preset,
        session_id=session.session_id,
        host=session.host,
        worktree=session.worktree,
        env=session.env,
        started_at=session.started_at,
    )


def current_session(tx: Tx, role: str, name: str) -> AgentSession | None:
    row = tx.one("agent_session_current", role=role, name=name)
    return AgentSession.from_row(row) if row else None


def live_sessions(tx: Tx, host: str | None = None) -> list[AgentSession]:
    return [AgentSession.from_row(r) for r in tx.all("agent_session_live", host=host)]


def all_current_sessions(tx: Tx) -> list[AgentSession]:
    return [AgentSession.from_row(r) for r in tx.all("agent_session_all_current")]


def end_session(tx: Tx, session: AgentSession, exit_code: int | None, reason: str) -> bool:
    """Mark the session ended (once); returns False when it already was."""
    return bool(
        tx.run(
            "agent_session_end",
            role=session.role,
            name=session.name,
            incarnation=session.incarnation,
            exit_code=exit_code,
            end_reason=reason,
        )
    )


def emit_ended(
    tx: Tx, session: AgentSession, reason: str, *, exit_code: int | None, signal: int | None = None
) -> None:
    """The one place the `agent.ended` event is built: incarnation, exit_code, signal, reason."""
    tx.emit(
        "agent.ended",
        session.ref,
        {
            "incarnation": session.incarnation,
            "exit_code": exit_code,
            "signal": signal,
            "reason": reason,
        },
    )


def close_session(
    tx: Tx, session: AgentSession, reason: str, *, exit_code: int | None, signal: int | None = None
) -> bool:
    """End the session and record `agent.ended`, once; False when it had already ended."""
    if not end_session(tx, session, exit_code, reason):
        return False
    emit_ended(tx, session, reason, exit_code=exit_code, signal=signal)
    return True
