"""The fake runtime's fail modes behave like a broken driver: errors, never silent success."""

from __future__ import annotations

from pathlib import Path

import pytest

from bosun.base.errors import RuntimeFailure
from bosun.runtime.fake import FailMode, FakeRuntime
from bosun.runtime.protocol import LaunchSpec, LivenessState
from bosun.runtime.screen import ScreenPatterns, ScreenState

PATTERNS = ScreenPatterns(ready=(r"^app>( |$)",), composer=r"^app> ?(?P<input>.*)$")


def _spec(tmp_path: Path, **env: str) -> LaunchSpec:
    return LaunchSpec("test", "f", ("agent",), tmp_path, env, PATTERNS)


def test_launch_fail_mode_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeFailure, match="fail mode launch"):
        FakeRuntime(FailMode.LAUNCH).launch(_spec(tmp_path))


def test_send_fail_mode_raises_and_nothing_is_taken(tmp_path: Path) -> None:
    runtime = FakeRuntime(FailMode.SEND)
    handle = runtime.launch(_spec(tmp_path))
    with pytest.raises(RuntimeFailure):
        runtime.send(handle, "hi")
    assert runtime.sessions[handle.target].prompts == []


def test_liveness_fail_mode_is_indeterminate_not_alive(tmp_path: Path) -> None:
    runtime = FakeRuntime()
    handle = runtime.launch(_spec(tmp_path))
    runtime.fail = FailMode.LIVENESS
    assert runtime.liveness(handle).state is LivenessState.INDETERMINATE


def test_crash_helpers_make_sessions_dead(tmp_path: Path) -> None:
    runtime = FakeRuntime()
    one = runtime.launch(_spec(tmp_path))
    runtime.crash(one, 9)
    assert runtime.liveness(one).exit_code == 9
    assert runtime.screen_state(one) is ScreenState.DEAD
    two = runtime.launch(LaunchSpec("test", "g", ("agent",), tmp_path, {}, PATTERNS))
    runtime.crash_server()
    assert runtime.liveness(two).state is LivenessState.DEAD
