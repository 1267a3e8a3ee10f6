"""The delivery seam: how a trigger reaches a session, and how failures are classified.

The trigger engine never drives tmux itself. It talks to four small protocols, which
`bosun.triggers.fleet_seams` implements over the fleet its caller passes (and tests replace
with recording fakes):

- `Deliverer`: the target's session state (live/dead/missing, last activity) and safe text
  delivery into a live session, classified `delivered`, `target_gone`, `pane_dead`,
  `not_ready` or `delivery_unverified`.
- `Resumer`: resume the identity's conversation through its preset, the wake-up line in the
  resumed session's first prompt (nothing is typed into a session that starts working).
- `Spawner`: start a fresh session whose first prompt is the thread summary.

Resuming and spawning are automatic actions: they never replace a running session and never
start an identity an operator stopped or terminated (the fleet refuses; see `AgentFleet`).
- `ProgressProbe`: a fingerprint of the target's work outside the thread (e.g. its worktree
  head), so the loop safeguard can tell a working agent from a looping one.

Text is sanitised here, at delivery, and nowhere else: the store keeps what was written.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from typing import Protocol

from bosun.core.records import Identity
from bosun.triggers.policies.fallback import (
    DELIVERY_UNVERIFIED,
    NOT_READY,
    PANE_DEAD,
    RESUME_FAILED,
    SPAWN_FAILED,
    TARGET_GONE,
    SessionState,
)

DELIVERED = "delivered"
CLASSIFICATIONS = frozenset(
    {DELIVERED, TARGET_GONE, PANE_DEAD, NOT_READY, DELIVERY_UNVERIFIED, RESUME_FAILED, SPAWN_FAILED}
)


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    classification: str  # delivered | target_gone | pane_dead | not_ready | delivery_unverified…
    detail: str = ""

    @classmethod
    def delivered(cls, detail: str = "") -> DeliveryResult:
        return cls(True, DELIVERED, detail)

    @classmethod
    def failed(cls, classification: str, detail: str = "") -> DeliveryResult:
        if classification == DELIVERED:
            raise ValueError("a failure cannot be classified as delivered")
        return cls(False, classification, detail)


@dataclass(frozen=True)
class SessionProbe:
    state: SessionState
    last_activity: float | None = None  # later of last screen change and last input
    detail: str = ""
    busy: bool = False  # a live session's screen shows it working or asking a question
    stopped: bool = False  # its last session was ended by an operator (`bosun agent stop`)


class Deliverer(Protocol):
    def probe(self, identity: Identity) -> SessionProbe: ...

    def deliver(self, identity: Identity, text: str) -> DeliveryResult: ...


class Resumer(Protocol):
    def resume(self, identity: Identity, prompt: str) -> DeliveryResult: ...


class Spawner(Protocol):
    def spawn(self, identity: Identity, prompt: str) -> DeliveryResult: ...


class ProgressProbe(Protocol):
    def head(self, identity: Identity) -> str: ...


@dataclass
class Seams:
    deliverer: Deliverer
    resumer: Resumer
    spawner: Spawner
    progress: ProgressProbe


# -- sanitising -------------------------------------------------------------------------

_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def sanitise(text: str, max_bytes: int, *, single_line: bool = False) -> str:
    """Text safe to type into a terminal: no escape sequences or control characters (tab and
    newline kept unless `single_line`), at most `max_bytes` of UTF-8, cut on a character."""
    cleaned = _CONTROLS.sub("", _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    if single_line:
        cleaned = " ".join(cleaned.split())
    data = cleaned.encode("utf-8", "replace")
    if len(data) <= max_bytes:
        return cleaned
    marker = " …[truncated]"
    cut = data[: max(0, max_bytes - len(marker.encode()))].decode("utf-8", "ignore")
    return cut + marker


# -- implementations that need no runtime driver ----------------------------------------


@dataclass
class NoopDeliverer:
    """Every session is live and quiet; delivery does nothing. For benchmarks and queue tests."""

    delivered: list[tuple[str, str]] = field(default_factory=list)
    keep: bool = False

    def probe(self, identity: Identity) -> SessionProbe:
        return SessionProbe(SessionState.LIVE, None, "noop")

    def deliver(self, identity: Identity, text: str) -> DeliveryResult:
        if self.keep:
            self.delivered.append((identity.ref, text))
        return DeliveryResult.delivered("noop")

    def resume(self, identity: Identity, prompt: str) -> DeliveryResult:
        return DeliveryResult.delivered("noop")

    def spawn(self, identity: Identity, prompt: str) -> DeliveryResult:
        return DeliveryResult.delivered("noop")

    def head(self, identity: Identity) -> str:
        return ""


class NoRuntime:
    """What the engine uses when no runtime driver is installed: it can see from the registry
    whether a session exists, but it can neither reach, resume nor spawn one. Every hop fails
    with a classification that says so, and the job escalates; nothing is pretended."""

    reason = "no runtime driver is installed (src/bosun/runtime)"

    def probe(self, identity: Identity) -> SessionProbe:
        if identity.session_id is None:
            return SessionProbe(SessionState.MISSING, None, "the identity has no session")
        return SessionProbe(SessionState.DEAD, None, self.reason)

    def deliver(self, identity: Identity, text: str) -> DeliveryResult:
        return DeliveryResult.failed(TARGET_GONE, self.reason)

    def resume(self, identity: Identity, prompt: str) -> DeliveryResult:
        return DeliveryResult.failed(RESUME_FAILED, self.reason)

    def spawn(self, identity: Identity, prompt: str) -> DeliveryResult:
        return DeliveryResult.failed(SPAWN_FAILED, self.reason)


class GitHeadProbe:
    """The target's worktree head commit: a new commit is progress."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def head(self, identity: Identity) -> str:
        if not identity.worktree:
            return ""
        try:
            out = subprocess.run(
                ["git", "-C", identity.worktree, "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""


def no_runtime_seams() -> Seams:
    """Seams for a worker given no fleet: `NoRuntime`, honest failures, never pretence."""
    none = NoRuntime()
    return Seams(none, none, none, GitHeadProbe())
