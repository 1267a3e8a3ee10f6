"""Drivers under test and the small agent program they run (agent_app.py).

Every tmux test runs on its own `-L` socket (the `tmux_socket` fixture kills the server);
every subprocess session is killed and its files closed in the finalizer.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bosun.runtime.delivery import DeliveryConfig
from bosun.runtime.env import session_environment
from bosun.runtime.fake import FakeRuntime
from bosun.runtime.protocol import LaunchSpec
from bosun.runtime.screen import ScreenPatterns
from bosun.runtime.subprocess_driver import SubprocessRuntime
from bosun.runtime.tmux import TmuxRuntime

AGENT_APP = Path(__file__).with_name("agent_app.py")

APP_PATTERNS = ScreenPatterns(
    ready=(r"^app>( |$)",),
    busy=(r"esc to interrupt",),
    waiting=(r"Do you trust the files in this folder\?",),
    composer=r"^app> ?(?P<input>.*)$",
    ack=(r"^● received \d+:",),
    trust_dialog=r"Do you trust the files in this folder\?",
    trust_answer=("1",),
    rule="last_match",
)

# Generous: the machine has 2 cores shared with other test runs.
TEST_DELIVERY = DeliveryConfig(
    max_bytes=4096,
    enter_delay=0.15,
    verify_retries=3,
    verify_timeout=2.0,
    ready_timeout=20.0,
    lock_timeout=60.0,
)


@dataclass
class Kit:
    """One driver plus what a test needs to launch the agent program on it."""

    driver: str
    runtime: Any
    tmp: Path
    prompt_log: Path
    handles: list[Any] = field(default_factory=list)

    def spec(
        self, name: str = "agent", base: dict[str, str] | None = None, **env: str
    ) -> LaunchSpec:
        extra = {"BOSUN_SIM_PROMPT_LOG": str(self.prompt_log), **env}
        return LaunchSpec(
            role="test",
            name=name,
            argv=(sys.executable, str(AGENT_APP)),
            cwd=self.tmp,
            env=session_environment(dict(os.environ) if base is None else base, extra),
            patterns=APP_PATTERNS,
            preset="test",
        )

    def launch(self, name: str = "agent", **env: str) -> Any:
        handle = self.runtime.launch(self.spec(name, **env))
        self.handles.append(handle)
        return handle

    def prompts(self) -> list[str]:
        if not self.prompt_log.exists():
            return []
        lines = self.prompt_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["text"] for line in lines]


def make_kit(kind: str, tmp: Path, socket: str | None) -> tuple[Kit, Any]:
    log = tmp / "prompts.jsonl"
    if kind == "tmux":
        assert socket is not None
        runtime: Any = TmuxRuntime(
            socket, delivery=TEST_DELIVERY, spec_dir=tmp / "spec", lock_dir=tmp / "locks"
        )
    elif kind == "subprocess":
        runtime = SubprocessRuntime(tmp / "logs", delivery=TEST_DELIVERY)
    else:
        runtime = FakeRuntime(delivery=TEST_DELIVERY)
    return Kit(kind, runtime, tmp, log), runtime
