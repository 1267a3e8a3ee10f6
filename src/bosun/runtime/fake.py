"""A fake runtime, next to the protocol: an in-memory agent with a fail mode.

It models the small agent contract the driver conformance suite's test program follows (the
same one the sim agent follows): a composer line `app> `, an acknowledgement
`● received <n>: <first 60 chars>` per prompt, a JSON line per prompt in
$BOSUN_SIM_PROMPT_LOG, `TESTAGENT_EXIT=<code>` to exit at once and `TESTAGENT_TRUST=1` to ask
the folder-trust question first. Engines use it in tests that need a runtime but no
processes; `fail` makes every call of one kind fail the way a broken driver would.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from enum import StrEnum

from bosun.base.errors import Conflict, RuntimeFailure
from bosun.runtime.delivery import DeliveryConfig, choose_method
from bosun.runtime.protocol import (
    Capabilities,
    Delivery,
    LaunchSpec,
    Liveness,
    LivenessState,
    SessionHandle,
    session_name,
)
from bosun.runtime.sanitize import prepare_payload
from bosun.runtime.screen import ScreenState, classify

INTERRUPTED = 130


class FailMode(StrEnum):
    NONE = "none"
    LAUNCH = "launch"  # launch raises RuntimeFailure
    SEND = "send"  # send raises RuntimeFailure; nothing is delivered
    LIVENESS = "liveness"  # liveness is indeterminate (the driver cannot tell)
    CAPTURE = "capture"  # capture raises RuntimeFailure


@dataclass
class FakeSession:
    spec: LaunchSpec
    lines: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    exit_code: int | None = None
    trusting: bool = False
    activity: float = field(default_factory=time.time)  # last screen change or input

    @property
    def alive(self) -> bool:
        return self.exit_code is None


class FakeRuntime:
    driver = "fake"
    capabilities = Capabilities(
        interactive=True,
        multiline_prompts=True,
        verified_delivery=True,
        attach=False,
        exit_status=True,
        survives_bosun=False,
        reports_activity=True,
    )

    def __init__(self, fail: FailMode = FailMode.NONE, delivery: DeliveryConfig | None = None):
        self.fail = fail
        self.delivery = delivery or DeliveryConfig()
        self.sessions: dict[str, FakeSession] = {}
        self._next = 0

    def _check(self, mode: FailMode, what: str) -> None:
        if self.fail is mode:
            raise RuntimeFailure(
                f"fake runtime: {what} failed (fail mode {mode})",
                "this is the fake's fail mode",
                code="fake_failure",
            )

    def _session(self, handle: SessionHandle) -> FakeSession:
        session = self.sessions.get(handle.target)
        if session is None:
            raise RuntimeFailure(
                f"session {handle.session} is gone", "relaunch it", code="session_gone"
            )
        return session

    def launch(self, spec: LaunchSpec) -> SessionHandle:
        self._check(FailMode.LAUNCH, "launch")
        if not spec.argv:
            raise RuntimeFailure("nothing to launch: the argv is empty", "check the preset")
        name = session_name(spec.role, spec.name)
        for key, other in self.sessions.items():
            if other.alive and session_name(other.spec.role, other.spec.name) == name:
                raise Conflict(f"session {name} is already running", f"stop {key} first")
        self._next += 1
        key = f"fake-{self._next}"
        session = FakeSession(spec)
        session.lines.append(f"cwd {spec.cwd}")
        for var in filter(None, spec.env.get("TESTAGENT_SHOW_ENV", "").split(",")):
            session.lines.append(f"env {var}={spec.env.get(var, '<unset>')}")
        if "TESTAGENT_EXIT" in spec.env:
            session.lines.append("exiting at once")
            session.exit_code = int(spec.env["TESTAGENT_EXIT"])
        elif spec.env.get("TESTAGENT_TRUST") == "1":
            session.trusting = True
            session.lines += [
                "Do you trust the files in this folder?",
                " 1. Yes, proceed",
                " 2. No, exit",
            ]
        else:
            session.lines.append("app> ")
        self.sessions[key] = session
        return SessionHandle(
            driver=self.driver,
            session=name,
            role=spec.role,
            name=spec.name,
            target=key,
            pid=None,
            started_at=time.time(),
            preset=spec.preset,
            incarnation=spec.incarnation,
            patterns=spec.patterns,
        )

    def liveness(self, handle: SessionHandle) -> Liveness:
        if self.fail is FailMode.LIVENESS:
            return Liveness(LivenessState.INDETERMINATE, reason="fake runtime fail mode")
        session = self.sessions.get(handle.target)
        if session is None:
            return Liveness(LivenessState.DEAD, reason="session gone")
        if session.alive:
            return Liveness(LivenessState.ALIVE)
        return Liveness(LivenessState.DEAD, exit_code=session.exit_code, reason="exited")

    def send(self, handle: SessionHandle, text: str, *, submit: bool = True) -> Delivery:
        payload = prepare_payload(text, self.delivery.max_bytes).rstrip("\n")
        self._check(FailMode.SEND, "send")
        session = self._session(handle)
        if not session.alive:
            raise RuntimeFailure(
                "the session is not running; nothing was sent", "restart it", code="session_dead"
            )
        if session.trusting or classify("\n".join(session.lines), handle.patterns) not in (
            ScreenState.READY,
            ScreenState.UNKNOWN,
        ):
            raise RuntimeFailure(
                "the session is not ready; nothing was sent",
                "look at it with `bosun agent capture`",
                code="not_ready",
            )
        size = len(payload.encode("utf-8"))
        session.activity = time.time()
        session.lines[-1] = "app> " + payload.replace("\n", " ")
        if submit and payload:
            self._take(session, payload)
        return Delivery(choose_method(payload), size, submit, True, 1 if submit else 0)

    def _take(self, session: FakeSession, text: str) -> None:
        session.prompts.append(text)
        n = len(session.prompts)
        log = session.spec.env.get("BOSUN_SIM_PROMPT_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"n": n, "text": text, "ts": time.time()}) + "\n")
        session.lines += [f"● received {n}: {' '.join(text.split())[:60]}", "app> "]

    def press(self, handle: SessionHandle, key: str) -> None:
        session = self._session(handle)
        if not session.alive:
            raise RuntimeFailure(
                f"session {handle.session} is not running", "relaunch it", code="session_dead"
            )
        session.activity = time.time()
        if key == "C-c":
            session.exit_code = INTERRUPTED
        elif session.trusting and key in ("1", "Enter"):
            session.trusting = False
            session.lines += ["trusted", "app> "]
        elif session.trusting and key == "2":
            session.exit_code = 1

    def capture(self, handle: SessionHandle, lines: int = 50) -> str:
        self._check(FailMode.CAPTURE, "capture")
        session = self._session(handle)
        shown = list(session.lines)
        return "\n".join(shown[-lines:])

    def screen_state(self, handle: SessionHandle) -> ScreenState:
        live = self.liveness(handle)
        if live.dead:
            return ScreenState.DEAD
        return classify(self.capture(handle, 50), handle.patterns)

    def last_activity(self, handle: SessionHandle) -> float | None:
        session = self.sessions.get(handle.target)
        return None if session is None else session.activity

    def stop(self, handle: SessionHandle, grace: float = 5.0) -> Liveness:
        session = self.sessions.get(handle.target)
        if session is not None and session.alive:
            session.exit_code = INTERRUPTED
        final = self.liveness(handle)
        self.sessions.pop(handle.target, None)
        return final

    # -- test helpers ---------------------------------------------------------------------

    def crash(self, handle: SessionHandle, exit_code: int) -> None:
        """The agent process exits with `exit_code` (as a real crash would)."""
        self._session(handle).exit_code = exit_code

    def crash_server(self) -> None:
        """Every session is gone at once (as when a tmux server dies)."""
        self.sessions.clear()
