"""Input that arrives exactly once (pitfalls 1–6 of the tmux supervisor list).

    1. refuse text over the limit, strip control characters and escape sequences;
    2. wait for the preset's ready screen (and let a freshly mounted composer settle);
    3. short single line → typed literally; multi-line or long → a uniquely named paste
       buffer pasted with bracketed paste and without newline translation;
    4. wait until the composer shows the text (bounded) and at least `enter_delay`;
    5. press Enter as its own call, then watch the composer: while the text still sits
       there, press Enter again (bounded). The text itself is never sent twice.

`deliver()` drives a `PaneIO` (the tmux driver's pane, or a scripted one in unit tests)
and must run under the pane's `PaneLock`, so concurrent senders — in any process —
serialise.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

from bosun.base.config import Config
from bosun.base.errors import InvalidInput, LockHeld, RuntimeFailure
from bosun.runtime.protocol import Delivery
from bosun.runtime.sanitize import prepare_payload
from bosun.runtime.screen import ScreenPatterns, ScreenState, classify, composer_holds, probe_for

LITERAL_MAX_BYTES = 512  # longer single lines go through a paste buffer
POLL = 0.05


class PaneIO(Protocol):
    def type_literal(self, text: str) -> None: ...

    def paste(self, text: str) -> None: ...

    def press_enter(self) -> None: ...

    def screen(self) -> str: ...

    def alive(self) -> bool: ...


@dataclass(frozen=True)
class DeliveryConfig:
    max_bytes: int = 16384
    enter_delay: float = 0.15
    verify_retries: int = 3
    verify_timeout: float = 1.5
    ready_timeout: float = 30.0
    lock_timeout: float = 60.0

    @classmethod
    def from_config(cls, config: Config) -> DeliveryConfig:
        return cls(
            max_bytes=config.integer("runtime.max_send_bytes"),
            enter_delay=config.number("runtime.enter_delay"),
            verify_retries=config.integer("runtime.verify_retries"),
            verify_timeout=config.number("runtime.verify_timeout"),
            ready_timeout=config.number("runtime.ready_timeout"),
            lock_timeout=config.number("runtime.lock_timeout"),
        )


def choose_method(text: str) -> str:
    single = "\n" not in text
    return "keys" if single and len(text.encode("utf-8")) <= LITERAL_MAX_BYTES else "paste"


def deliver(
    pane: PaneIO,
    text: str,
    *,
    submit: bool,
    patterns: ScreenPatterns,
    config: DeliveryConfig,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Delivery:
    payload = prepare_payload(text, config.max_bytes).rstrip("\n")  # Enter is `submit`
    if not payload and not submit:
        raise InvalidInput("nothing to send", "give some text, or submit to press Enter")
    size = len(payload.encode("utf-8"))
    _wait_ready(pane, patterns, config, sleep, monotonic)
    if not payload:
        pane.press_enter()
        return Delivery("enter", 0, True, False, 1)
    method = choose_method(payload)
    typed_at = monotonic()
    if method == "keys":
        pane.type_literal(payload)
    else:
        pane.paste(payload)
    probe = probe_for(payload)
    echoed = _wait(
        lambda: composer_holds(pane.screen(), probe, patterns),
        config.verify_timeout if patterns.can_verify else 0.0,
        sleep,
        monotonic,
    )
    if not submit:
        return Delivery(method, size, False, echoed, 0)
    remaining = config.enter_delay - (monotonic() - typed_at)
    if remaining > 0:
        sleep(remaining)
    pane.press_enter()
    presses = 1
    if not patterns.can_verify:
        return Delivery(method, size, True, False, presses)
    while True:
        if _wait(
            lambda: not composer_holds(pane.screen(), probe, patterns),
            config.verify_timeout,
            sleep,
            monotonic,
        ):
            return Delivery(method, size, True, True, presses)
        if not pane.alive():
            raise RuntimeFailure(
                "the session died before it took the text",
                "check it with `bosun agent list`",
                code="session_dead",
            )
        if presses > config.verify_retries:
            raise RuntimeFailure(
                f"the text still sits in the composer after {presses} Enter presses",
                "the agent is not taking input; look at it with `bosun agent capture`",
                code="not_submitted",
            )
        pane.press_enter()
        presses += 1


def _wait(
    condition: Callable[[], bool],
    timeout: float,
    sleep: Callable[[float], None],
    monotonic: Callable[[], float],
) -> bool:
    deadline = monotonic() + timeout
    while True:
        if condition():
            return True
        if monotonic() >= deadline:
            return False
        sleep(POLL)


def _wait_ready(
    pane: PaneIO,
    patterns: ScreenPatterns,
    config: DeliveryConfig,
    sleep: Callable[[float], None],
    monotonic: Callable[[], float],
) -> None:
    if not pane.alive():
        raise RuntimeFailure(
            "the session is not running; nothing was sent",
            "restart it with `bosun agent restart`",
            code="session_dead",
        )
    if not patterns.ready:
        return
    first = True
    deadline = monotonic() + config.ready_timeout
    while True:
        screen = pane.screen()
        if classify(screen, patterns) is ScreenState.READY:
            if not first and patterns.settle > 0:
                sleep(patterns.settle)
            return
        first = False
        if monotonic() >= deadline:
            tail = " | ".join(screen.strip().splitlines()[-3:])
            raise RuntimeFailure(
                f"the session is not ready after {config.ready_timeout:g}s; nothing was sent "
                f"(screen: {tail[-160:]})",
                "the agent may be busy or asking a question; look with `bosun agent capture`",
                code="not_ready",
            )
        if not pane.alive():
            raise RuntimeFailure(
                "the session died while bosun waited for it; nothing was sent",
                "restart it with `bosun agent restart`",
                code="session_dead",
            )
        sleep(POLL)


def default_lock_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"bosun-{os.getuid()}" / "locks"


class PaneLock:
    """An exclusive `flock` on `<dir>/<key>.lock`: one sender per pane across processes."""

    def __init__(self, directory: Path, key: str, timeout: float) -> None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
        self.path = directory / f"{safe}.lock"
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> PaneLock:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockHeld(
                        f"another sender has held {self.path.name} for {self.timeout:g}s",
                        "wait for it, or raise runtime.lock_timeout",
                    ) from exc
                time.sleep(POLL)
        self._fd = fd
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
