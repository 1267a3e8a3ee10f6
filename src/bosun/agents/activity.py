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


NO_SESSION = SessionActivity(False, False, "the identity has no session")


def running_activity(runtime: Runtime, handle: SessionHandle) -> SessionActivity:
    """The activity of a session whose record says it is live."""
    if runtime.liveness(handle).dead:
        return SessionActivity(True, False, "its process has exited")
    return SessionActivity(True, True, handle.session, last_activity(runtime, handle))


def last_activity(runtime: Runtime, handle: SessionHandle) -> float | None:
    """Now when the agent is visibly working; else the driver's last activity (None when
    the driver cannot tell)."""
    try:
        if runtime.screen_state(handle) == ScreenState.BUSY:
            return time.time()
    except BosunError:
        return None
    if not runtime.capabilities.reports_activity:
        return None
    return runtime.last_activity(handle)
