"""What the supervisor sees of each session: liveness, screen, hook, context — turned into
the `Observations` the pure detection policy reads.

The supervisor remembers, per identity, when the screen last changed and since when a
prompt has been waiting (the hook's last change is in the store). That memory lives in
the process: after a supervisor
restart it starts from "changed now", which only delays a stall verdict (kills need
positive evidence).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bosun.agents.views import context_percent
from bosun.base.errors import RuntimeFailure
from bosun.runtime.protocol import Liveness, LivenessState, Observation, SessionHandle
from bosun.runtime.protocol import observe_all as observe_sessions
from bosun.runtime.screen import ScreenState as RuntimeScreen
from bosun.runtime.screen import classify as classify_screen
from bosun.supervisor.policies.detect import Observations, ScreenState

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.agents.sessions import AgentSession
    from bosun.core.records import Hook, Identity

ALIVE = Liveness(LivenessState.ALIVE)
_SCREEN = {
    RuntimeScreen.READY: ScreenState.READY,
    RuntimeScreen.BUSY: ScreenState.BUSY,
    RuntimeScreen.WAITING_INPUT: ScreenState.WAITING,
}


@dataclass
class Seen:
    """The supervisor's memory of one identity's current session."""

    incarnation: int
    screen_hash: str = ""
    screen_changed_at: float | None = None
    screen_state: ScreenState = ScreenState.UNKNOWN
    waiting_since: float | None = None
    looked_at: float | None = None
    checkpoint_requested_at: float | None = None
    reported: set[str] = field(default_factory=set)  # conditions already logged as events
    exited: Liveness | None = None
    exited_at: float | None = None
    # the session's activity stamp (whole epoch seconds) and the wall time of the last
    # capture: a screen whose stamp has not moved since then is not captured again
    activity: float | None = None
    captured_wall: float | None = None
    # real progress on screen: a change between two looks (the first look of a session is
    # its baseline), never the echo of text the supervisor typed (`typed`)
    work_seen_at: float | None = None
    typed_at: float | None = None


class Observer:
    def __init__(self, fleet: Fleet, look_interval: float = 2.0) -> None:
        self.fleet = fleet
        self.look_interval = look_interval  # seconds between screen captures per session
        self.memory: dict[str, Seen] = {}
        # Set by the supervisor process: True while the session's process is known to run
        # (its pidfd has not fired), which spares one tmux call per session per tick.
        self.known_alive: Callable[[AgentSession], bool] = lambda session: False
        # this tick's batch observation (`prefetch`), by session ref
        self.batch: dict[str, Observation] = {}

    def prefetch(self, sessions: list[AgentSession]) -> None:
        """Read every live session's liveness and activity in one runtime call (one
        `tmux list-panes -a` per tick instead of one or two tmux calls per agent)."""
        handles = {}
        for session in sessions:
            if session.live:
                try:
                    handles[session.ref] = self.fleet.handle(session)
                except RuntimeFailure:
                    continue
        self.batch = {}
        if not handles:
            return
        try:
            seen = observe_sessions(self.fleet.runtime, list(handles.values()))
        except RuntimeFailure:
            return
        self.batch = {ref: seen[h] for ref, h in handles.items() if h in seen}

    def seen(self, session: AgentSession) -> Seen:
        seen = self.memory.get(session.ref)
        if seen is None or seen.incarnation != session.incarnation:
            seen = Seen(session.incarnation)
            self.memory[session.ref] = seen
        return seen

    def observe(
        self,
        session: AgentSession,
        identity: Identity,
        hook: Hook | None,
        now: float,
        *,
        live: Liveness | None = None,
        handoff_at: float | None = None,
        force_look: bool = False,
        work_pending: bool = True,
    ) -> Observations:
        seen = self.seen(session)
        handle = self.fleet.handle(session)
        batch = self.batch.get(session.ref) if session.live else None
        if batch is not None:
            seen.activity = batch.activity
        if live is None:
            if seen.exited is None and session.live and self.known_alive(session):
                live = ALIVE
            elif seen.exited is None and batch is not None:
                live = batch.liveness
            else:
                live = seen.exited or self.fleet.runtime.liveness(handle)
        if live.dead and seen.exited is None:
            seen.exited, seen.exited_at = live, now
        alive = {LivenessState.ALIVE: True, LivenessState.DEAD: False}.get(live.state)
        if alive and (
            force_look
            or seen.looked_at is None
            or (now - seen.looked_at >= self.look_interval and self._screen_may_have_moved(seen))
        ):
            self._look(seen, handle, now)
        return Observations(
            identity=session.ref,
            alive=alive,
            last_seen=identity.last_seen,
            screen_state=seen.screen_state if alive else ScreenState.UNKNOWN,
            session_started_at=session.started_at,
            exit_code=live.exit_code if live.dead else None,
            exited_at=seen.exited_at,
            screen_changed_at=seen.screen_changed_at,
            hook_changed_at=hook.updated_at if hook else None,
            hook_progress_at=hook_progress_at(hook),
            waiting_since=seen.waiting_since,
            context_pct=context_percent(self.fleet, session.role, session.name),
            handoff_requested_at=handoff_at,
            checkpoint_requested_at=seen.checkpoint_requested_at,
            crew=identity.crew,
            work_pending=work_pending,
            work_seen_at=seen.work_seen_at,
        )

    def typed(self, session: AgentSession, at: float) -> None:
        """The supervisor typed into the session at `at` (a nudge, a checkpoint request):
        what the next look finds changed is that text's echo, not the agent's activity."""
        self.seen(session).typed_at = at

    @staticmethod
    def _screen_may_have_moved(seen: Seen) -> bool:
        """False only when the runtime's activity stamp proves the pane drew nothing since
        the last capture (the stamp is in whole seconds, hence the second of margin)."""
        if seen.activity is None or seen.captured_wall is None:
            return True
        return seen.activity + 1 > seen.captured_wall

    def _look(self, seen: Seen, handle: SessionHandle, now: float) -> None:
        previous = seen.looked_at
        seen.looked_at = now
        seen.captured_wall = time.time()
        try:
            screen = self.fleet.runtime.capture(handle, 60)
        except RuntimeFailure:
            return
        digest = hashlib.blake2b(_strip_clock(screen).encode(), digest_size=12).hexdigest()
        echo = seen.typed_at is not None and (previous is None or previous <= seen.typed_at)
        if digest != seen.screen_hash:
            first = not seen.screen_hash
            seen.screen_hash = digest
            if not echo:
                seen.screen_changed_at = now
                if not first:
                    seen.work_seen_at = now
        state = _SCREEN.get(
            classify_screen(screen, handle.patterns),
            ScreenState.UNKNOWN,
        )
        if state == ScreenState.WAITING:
            if seen.waiting_since is None:
                seen.waiting_since = now
        else:
            seen.waiting_since = None
        seen.screen_state = state


def hook_progress_at(hook: Hook | None) -> float | None:
    """When the hook last moved forward: its latest phase change or checkpoint."""
    if hook is None:
        return None
    stamps = [c.at for c in hook.history[-1:]] + [hook.checkpoint_at or 0.0]
    return max(stamps) or None


def _strip_clock(screen: str) -> str:
    """A busy line's running seconds counter is not progress: ignore digits in it."""
    lines = []
    for line in screen.splitlines():
        if "esc to interrupt" in line:
            line = "".join(c for c in line if not c.isdigit())
        lines.append(line.rstrip())
    return "\n".join(lines)
