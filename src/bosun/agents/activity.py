"""How an identity's current session is doing: there at all, running, last active when.

A generic reading of the fleet for anyone who must decide whether to disturb an agent (the
trigger engine's collision guard is one): no policy here, only what the store and the
runtime driver say.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bosun.base.errors import BosunError
from bosun.runtime.protocol import Runtime, SessionHandle
from bosun.runtime.screen import ScreenState


@dataclass(frozen=True)
class SessionActivity:
    exists: bool  # the identity has a session record
    running: bool  # ... that has not ended, and whose process runs
    detail: str  # the session's name when running, else why not
    last_activity: float | None = None  # epoch seconds; None when unknown
    screen: str | None = None  # a running session's ScreenState (ready, busy…); None: unknown
    stopped: bool = False  # its last session was ended by an operator (`bosun agent stop`)


NO_SESSION = SessionActivity(False, False, "the identity has no session")


def running_activity(runtime: Runtime, handle: SessionHandle) -> SessionActivity:
    """The activity of a session whose record says it is live."""
    if runtime.liveness(handle).dead:
        return SessionActivity(True, False, "its process has exited")
    try:
        screen: ScreenState | None = runtime.screen_state(handle)
    except BosunError:
        screen = None
    return SessionActivity(
        True,
        True,
        handle.session,
        last_activity(runtime, handle, screen),
        None if screen is None else str(screen),
    )


def last_activity(
    runtime: Runtime, handle: SessionHandle, screen: ScreenState | None
) -> float | None:
    """Now when the agent is visibly working; else the driver's last activity (None when
    the driver cannot tell, or the screen could not be read)."""
    if screen is None:
        return None
    if screen == ScreenState.BUSY:
        return time.time()
    if not runtime.capabilities.reports_activity:
        return None
    return runtime.last_activity(handle)
