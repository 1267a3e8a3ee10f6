"""The fleet: spawning, restarting, stopping and talking to agent sessions.

Spawn follows one order — register (or refresh) the identity, pin the hook,
create the worktree, launch, record pid / session id / target — and returns once the
session shows its ready screen (or fails with what the screen showed). Every step that
changes state commits with its event; no transaction is held while a process starts.
"""

from __future__ import annotations

import json
import socket as socketlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.agents.activity import NO_SESSION, SessionActivity, running_activity
from bosun.agents.cli_sessions import capture_session_id
from bosun.agents.forget import undo_spawn
from bosun.agents.launching import launch_spec
from bosun.agents.seance import build_seance_prompt, first_prompt
from bosun.agents.sessions import (
    OPERATOR_STOP,
    AgentSession,
    all_current_sessions,
    close_session,
    current_session,
    live_sessions,
    record_session,
)
from bosun.agents.worktree_choice import choose_worktree, explicit_worktree, project_root
from bosun.base.errors import BosunError, Conflict, NotFound, RuntimeFailure
from bosun.base.ids import session_uuid
from bosun.base.names import check_name
from bosun.core.prime import PrimeBlock, build_prime
from bosun.core.records import Identity, IdentityStatus
from bosun.runtime.presets import Preset, get_preset
from bosun.runtime.protocol import Liveness, LivenessState, Runtime, SessionHandle
from bosun.runtime.readiness import screen_tail, wait_until_ready

if TYPE_CHECKING:
    from bosun.core.context import Context


@dataclass(frozen=True)
class SpawnRequest:
    name: str
    role: str
    preset: str
    work_id: str | None = None
    prompt: str | None = None
    worktree: str = "auto"  # auto | none | a path inside the repository
    crew: bool = False
    initiative: str | None = None
    env: tuple[tuple[str, str], ...] = ()


class Fleet:
    def __init__(
        self,
        ctx: Context,
        runtime: Runtime,
        *,
        host: str | None = None,
        ready_timeout: float | None = None,
    ) -> None:
        self.ctx = ctx
        self.runtime = runtime
        self.host = host or socketlib.gethostname()
        self.ready_timeout = (
            ready_timeout
            if ready_timeout is not None
            else ctx.config.number("runtime.ready_timeout")
        )

    # -- lookups --------------------------------------------------------------------------

    def preset(self, name: str) -> Preset:
        return get_preset(name, self.ctx.paths.runtimes if self.ctx.paths else None)

    def session(self, role: str, name: str) -> AgentSession | None:
        with self.ctx.store.transaction(write=False) as tx:
            return current_session(tx, role, name)

    def live(self) -> list[AgentSession]:
        with self.ctx.store.transaction(write=False) as tx:
            return live_sessions(tx, self.host)

    def sessions(self) -> list[AgentSession]:
        with self.ctx.store.transaction(write=False) as tx:
            return all_current_sessions(tx)

    def handle(self, session: AgentSession) -> SessionHandle:
        preset = self.preset(session.preset)
        return SessionHandle(
            driver=session.driver,
            session=session.session,
            role=session.role,
            name=session.name,
            target=session.target,
            pid=session.pid,
            started_at=session.started_at,
            socket=session.socket,
            preset=session.preset,
            incarnation=session.incarnation,
            patterns=preset.screen,
        )

    def resolve(self, ref: str) -> tuple[str, str]:
        """`ROLE/NAME`, or a bare NAME when exactly one identity has it."""
        return self.ctx.identities.resolve(ref)

    def activity(self, role: str, name: str) -> SessionActivity:
        """Whether the identity's session is there and running, and when it last was active."""
        session = self.session(role, name)
        if session is None:
            return NO_SESSION
        if not session.live:
            return SessionActivity(
                True, False, f"ended: {session.end_reason}", stopped=session.stopped_by_operator
            )
        return running_activity(self.runtime, self.handle(session))

    def require_live(self, role: str, name: str) -> tuple[AgentSession, SessionHandle]:
        session = self.session(role, name)
        if session is None or not session.live:
            raise NotFound(
                f"{role}/{name} has no running session",
                f"start one with `bosun agent spawn {name} --role {role} …`",
            )
        return session, self.handle(session)

    # -- spawn ----------------------------------------------------------------------------

    def spawn(self, req: SpawnRequest) -> AgentSession:
        check_name(req.role, "role")
        check_name(req.name)
        preset = self.preset(req.preset)
        preset.resolve_binary(preset.launch_argv())  # a missing binary fails before anything
        if req.worktree not in ("auto", "none"):
            # refuse a bad path before anything changes
            explicit_worktree(project_root(self.ctx), req.worktree)
        existing = self.session(req.role, req.name)
        if existing is not None and existing.live:
            live = self.runtime.liveness(self.handle(existing))
            if not live.dead:
                raise Conflict(
                    f"{req.role}/{req.name} is already running ({existing.session})",
                    f"stop it with `bosun agent stop {req.name}` or restart it",
                )
            self.record_end(existing, live, "found dead at spawn")
        fresh = self.ctx.identities.find(req.role, req.name) is None
        identity = self.ctx.identities.create(
            req.role,
            req.name,
            runtime=req.preset,
            initiative=req.initiative,
            crew=req.crew,
            host=self.host,
        )
        try:
            return self._spawn_created(req, preset, identity, restart=existing is not None)
        except BosunError:
            if fresh and self.session(req.role, req.name) is None:
                undo_spawn(self, req.role, req.name)  # a failed first spawn leaves nothing
            raise

    def _spawn_created(
        self, req: SpawnRequest, preset: Preset, identity: Identity, *, restart: bool
    ) -> AgentSession:
        if req.work_id:
            self.ctx.hooks.pin(req.role, req.name, req.work_id)
        cwd = choose_worktree(self.ctx, req.name, req.worktree)
        if str(cwd) != (identity.worktree or ""):
            self.ctx.identities.create(req.role, req.name, worktree=str(cwd))
        prompt = req.prompt
        if prompt is None and req.work_id and not preset.self_starting:
            # the agent must start its hooked work with no human: its prime is its first prompt
            prompt = first_prompt(build_prime(self.ctx, req.role, req.name))
        return self._launch(
            req.role,
            req.name,
            preset,
            cwd,
            prompt=prompt,
            extra_env=dict(req.env),
            resume_id=None,
            new_incarnation=restart,
            reason="spawn",
        )

    def spawn_identity(self, identity: Identity, prompt: str) -> AgentSession:
        """Spawn a registered identity from its record: its runtime (claude when none is
        recorded), its worktree (a new one when none is), its crew flag; `prompt` first.
        An automatic action: a terminated identity, or one an operator stopped, is refused."""
        current = self.session(identity.role, identity.name)
        self._refuse_if_held(identity.role, identity.name, current)
        return self.spawn(
            SpawnRequest(
                name=identity.name,
                role=identity.role,
                preset=identity.runtime or "claude",
                prompt=prompt,
                worktree=identity.worktree or "auto",
                crew=identity.crew,
            )
        )

    def _launch(
        self,
        role: str,
        name: str,
        preset: Preset,
        cwd: Path,
        *,
        prompt: str | None,
        extra_env: dict[str, str],
        resume_id: str | None,
        new_incarnation: bool,
        reason: str,
    ) -> AgentSession:
        session_id = resume_id or (session_uuid() if preset.owns_session_id else None)
        with self.ctx.store.transaction() as tx:
            if new_incarnation:
                identity = self.ctx.identities.new_incarnation(
                    tx, role, name, session_id=session_id, reason=reason
                )
            else:
                identity = self.ctx.identities.get_in(tx, role, name)
                if identity.status != IdentityStatus.ACTIVE:
                    identity = self.ctx.identities.new_incarnation(
                        tx, role, name, session_id=session_id, reason=reason
                    )
        try:
            return self._start(
                role, name, preset, cwd, identity, session_id, prompt, extra_env, resume_id, reason
            )
        except BosunError as exc:
            # The identity has its new incarnation but no session: record a crash, so the
            # supervisor retries and escalates it instead of leaving it `active` forever.
            if self._session_incarnation(role, name) == identity.incarnation:
                raise  # the session was recorded (and its end, if it failed to start)
            with self.ctx.store.transaction() as tx:
                current = self.ctx.identities.get_in(tx, role, name)
                if (
                    current.incarnation == identity.incarnation
                    and current.status == IdentityStatus.ACTIVE
                ):
                    self.ctx.identities.set_status_in(
                        tx, role, name, IdentityStatus.CRASHED, f"launch failed: {exc.message}"
                    )
            raise

    def _session_incarnation(self, role: str, name: str) -> int | None:
        session = self.session(role, name)
        return session.incarnation if session else None

    def _start(
        self,
        role: str,
        name: str,
        preset: Preset,
        cwd: Path,
        identity: Identity,
        session_id: str | None,
        prompt: str | None,
        extra_env: dict[str, str],
        resume_id: str | None,
        reason: str,
    ) -> AgentSession:
        spec = launch_spec(
            self.ctx, preset, identity, cwd,
            session_id=session_id, resume_id=resume_id, prompt=prompt, extra_env=extra_env,
        )  # fmt: skip
        handle = self.runtime.launch(spec)
        session = AgentSession(
            role=role,
            name=name,
            incarnation=identity.incarnation,
            driver=handle.driver,
            socket=handle.socket,
            session=handle.session,
            target=handle.target,
            pid=handle.pid,
            preset=preset.name,
            started_at=handle.started_at,
            session_id=session_id,
            host=self.host,
            worktree=str(cwd),
            env=json.dumps(extra_env, sort_keys=True),
        )
        with self.ctx.store.transaction() as tx:
            record_session(tx, session)
            self.ctx.identities.set_status_in(
                tx, role, name, IdentityStatus.ACTIVE, reason, pid=handle.pid, session_id=session_id
            )
            tx.emit(
                "agent.launched",
                f"{role}/{name}",
                {
                    "incarnation": identity.incarnation,
                    "preset": preset.name,
                    "target": handle.target,
                    "pid": handle.pid,
                    "reason": reason,
                    "resumed": resume_id is not None,
                },
            )
        try:
            wait_until_ready(
                self.runtime,
                handle,
                max(self.ready_timeout, preset.ready_timeout),
                accept_busy=True,
            )
        except RuntimeFailure as exc:
            live = self.runtime.liveness(handle)
            if live.alive:
                self.runtime.stop(handle, grace=1.0)
                live = self.runtime.liveness(handle)
            self.record_end(session, live, f"spawn failed: {exc.message}", crashed=True)
            raise
        with self.ctx.store.transaction() as tx:
            tx.run("agent_session_ready", role=role, name=name, incarnation=identity.incarnation)
            tx.emit("agent.ready", f"{role}/{name}", {"incarnation": identity.incarnation})
        if prompt and preset.prompt_mode == "send":
            self.runtime.send(handle, prompt)
        return self.session(role, name) or session

    # -- restart, stop --------------------------------------------------------------------

    def restart(
        self,
        role: str,
        name: str,
        *,
        fresh: bool = False,
        reason: str = "restart",
        ended: str | None = None,
        message: str | None = None,
        automatic: bool = False,
        replace_running: bool = True,
    ) -> AgentSession:
        """A seance restart: same identity, next incarnation, primed with its predecessor.

        `message` goes into the new session's first prompt (after the seance), so it needs
        no typing into a session that starts working at once. `automatic`: the restart is
        not an operator's (a trigger, a revival): it is refused with a `Conflict` when the
        identity is terminated or its session was stopped by an operator — a stop wins.
        `replace_running` false: refused with a `Conflict` when its session still runs (a
        caller that only means to revive a dead session never kills a working one)."""
        previous = self.session(role, name)
        if previous is None:
            raise NotFound(
                f"{role}/{name} has never been spawned",
                f"spawn it with `bosun agent spawn {name} --role {role} …`",
            )
        if automatic:
            self._refuse_if_held(role, name, previous)
        preset = self.preset(previous.preset)
        # Whatever the record says, the old pane must be gone before its successor starts
        # (a session ended on purpose may still be dying).
        handle = self.handle(previous)
        tail = screen_tail(self.runtime, handle, 30)
        live = self.runtime.liveness(handle)
        if not replace_running and previous.live and not live.dead:
            raise Conflict(
                f"{role}/{name} is running ({previous.session}); it is not replaced",
                f"send it a message with `bosun agent send {name} …`",
                code="session_running",
            )
        if previous.live and not live.dead:
            # Record the intent first (as `stop` does): a supervisor that sees the exit
            # finds the session ended on purpose.
            self.record_end(previous, live, reason)
            previous = replace(previous, ended_at=self.ctx.clock.now())
        if not live.dead:
            live = self.runtime.stop(handle, grace=2.0)
        elif self.ctx.identities.get(role, name).incarnation > previous.incarnation:
            # a launcher killed before it recorded its session may have left that next
            # incarnation running under the session's name: it goes too
            self.runtime.stop(handle, grace=2.0)
        if previous.live:
            self.record_end(previous, live, reason)
        prime = build_prime(self.ctx, role, name)
        how = ended or (previous.end_reason or reason)
        identity = self.ctx.identities.get(role, name)
        cwd = Path(previous.worktree) if previous.worktree else project_root(self.ctx)
        known_id = (
            previous.session_id  # chosen by bosun (Claude) or recorded by a hook
            or capture_session_id(
                self.ctx, previous, preset.session_files, cwd
            )  # named by the CLI itself
            or identity.session_id
        )
        resume_id = known_id if not fresh and preset.can_resume and known_id else None
        prompt = build_seance_prompt(
            _next_incarnation(prime, identity.incarnation + 1), how, tail, message
        )

        def launch(resume: str | None, why: str) -> AgentSession:
            return self._launch(
                role,
                name,
                preset,
                cwd,
                prompt=prompt,
                extra_env=previous.extra_env,
                resume_id=resume,
                new_incarnation=True,
                reason=why,
            )

        try:
            return launch(resume_id, reason)
        except RuntimeFailure as exc:
            if resume_id is None:
                raise
            failed = exc.message
        # The conversation could not be resumed: a fresh session, primed, recorded as such.
        with self.ctx.store.transaction() as tx:
            tx.emit(
                "agent.resume_failed",
                f"{role}/{name}",
                {"session_id": resume_id, "error": failed, "fallback": "fresh"},
            )
        return launch(None, f"{reason} (resume failed)")

    def _refuse_if_held(self, role: str, name: str, session: AgentSession | None) -> None:
        """Raise `Conflict` when an automatic start must not happen: the identity was
        terminated, or its last session was stopped by an operator."""
        identity = self.ctx.identities.find(role, name)
        if identity is not None and identity.status == IdentityStatus.TERMINATED:
            raise Conflict(
                f"{role}/{name} is terminated; nothing automatic starts it again",
                "re-create it to give it a new session",
                code="terminated",
            )
        if session is not None and session.stopped_by_operator:
            raise Conflict(
                f"{role}/{name} was stopped by an operator; nothing automatic starts it again",
                f"start it yourself with `bosun agent restart {name}`",
                code="operator_stopped",
            )

    def stop(
        self, role: str, name: str, grace: float = 5.0, reason: str = OPERATOR_STOP
    ) -> Liveness:
        session, handle = self.require_live(role, name)
        # Record the intent first: a supervisor that sees the process exit then finds the
        # session ended on purpose and does not treat the exit as a crash.
        self.record_end(session, Liveness(LivenessState.ALIVE), reason)
        return self.runtime.stop(handle, grace)

    def record_end(
        self, session: AgentSession, live: Liveness, reason: str, *, crashed: bool = False
    ) -> None:
        with self.ctx.store.transaction() as tx:
            ended = close_session(tx, session, reason, exit_code=live.exit_code, signal=live.signal)
            if ended and crashed:
                self.ctx.identities.set_status_in(
                    tx, session.role, session.name, IdentityStatus.CRASHED, reason
                )

    # -- talking to a session -------------------------------------------------------------

    def send(self, role: str, name: str, text: str) -> dict[str, Any]:
        session, handle = self.require_live(role, name)
        delivery = self.runtime.send(handle, text)
        with self.ctx.store.transaction() as tx:
            tx.emit(
                "agent.sent",
                session.ref,
                {
                    "bytes": delivery.bytes,
                    "verified": delivery.verified,
                    "enter_presses": delivery.enter_presses,
                },
            )
        return delivery.to_json()

    def capture(self, role: str, name: str, lines: int = 50) -> str:
        _, handle = self.require_live(role, name)
        return self.runtime.capture(handle, lines)


def _next_incarnation(prime: PrimeBlock, incarnation: int) -> PrimeBlock:
    return replace(prime, identity=replace(prime.identity, incarnation=incarnation))
