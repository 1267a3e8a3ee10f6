"""The runtime driver conformance suite: every driver (tmux, subprocess, fake) passes it."""

from __future__ import annotations

import os
import sys
import time

import pytest

from bosun.base.errors import Conflict, InvalidInput, RuntimeFailure
from bosun.runtime.env import session_environment
from bosun.runtime.protocol import LivenessState
from bosun.runtime.readiness import wait_until_ready
from bosun.runtime.screen import ScreenState
from waiting import wait_for

pytestmark = pytest.mark.tmux


def _ready(kit, handle):  # type: ignore[no-untyped-def]
    return wait_until_ready(kit.runtime, handle, timeout=20)


def test_a_launched_session_is_alive_ready_and_takes_one_prompt_exactly_once(kit) -> None:
    handle = kit.launch()
    assert kit.runtime.liveness(handle).state is LivenessState.ALIVE
    assert _ready(kit, handle) is ScreenState.READY
    delivery = kit.runtime.send(handle, "hello there")
    assert delivery.submitted
    wait_for(lambda: kit.prompts() == ["hello there"], timeout=20, what="one prompt")
    wait_for(
        lambda: "● received 1: hello there" in kit.runtime.capture(handle, 20),
        timeout=20,
        what="the acknowledgement",
    )
    assert handle.session == "bosun-test-agent"


def test_prompts_arrive_in_order_each_once(kit) -> None:
    handle = kit.launch()
    _ready(kit, handle)
    texts = [f"message {i}: Enter C-c $HOME ; done;" for i in range(5)]
    for text in texts:
        kit.runtime.send(handle, text)
        wait_for(lambda t=text: t in kit.prompts(), timeout=20, what=text)
    assert kit.prompts() == texts


def test_multiline_text_arrives_as_one_prompt(kit) -> None:
    if not kit.runtime.capabilities.multiline_prompts:
        pytest.skip(f"{kit.driver} cannot deliver multi-line text as one prompt")
    handle = kit.launch()
    _ready(kit, handle)
    text = "first line\n  second line\twith tab\nthird line"
    assert kit.runtime.send(handle, text).method == "paste"
    wait_for(lambda: kit.prompts() == [text], timeout=20, what="the multi-line prompt")


def test_control_characters_and_escape_sequences_are_stripped(kit) -> None:
    handle = kit.launch()
    _ready(kit, handle)
    kit.runtime.send(handle, "red\x1b[31m alert\x07\x00 \x1b]0;title\x07done")
    wait_for(lambda: kit.prompts() == ["red alert done"], timeout=20, what="clean text")


def test_text_over_the_limit_is_refused_and_nothing_is_sent(kit) -> None:
    handle = kit.launch()
    _ready(kit, handle)
    with pytest.raises(InvalidInput) as err:
        kit.runtime.send(handle, "x" * 5000)
    assert err.value.code == "too_large"
    assert "5000 bytes" in err.value.message
    kit.runtime.send(handle, "after")
    wait_for(lambda: kit.prompts() == ["after"], timeout=20, what="the next prompt only")


def test_a_session_that_exits_is_dead_with_its_exit_code(kit) -> None:
    handle = kit.launch(TESTAGENT_EXIT="3")
    live = wait_for(
        lambda: (lv := kit.runtime.liveness(handle)).dead and lv, timeout=20, what="death"
    )
    assert live.exit_code == 3
    assert kit.runtime.screen_state(handle) is ScreenState.DEAD
    with pytest.raises(RuntimeFailure, match="spawn|exited|start-up"):
        wait_until_ready(kit.runtime, handle, timeout=5)


def test_sending_to_a_dead_session_fails_and_delivers_nothing(kit) -> None:
    handle = kit.launch(TESTAGENT_EXIT="0")
    wait_for(lambda: kit.runtime.liveness(handle).dead, timeout=20, what="death")
    with pytest.raises(RuntimeFailure) as err:
        kit.runtime.send(handle, "anyone there?")
    assert err.value.code in ("session_dead", "session_gone")
    assert kit.prompts() == []


def test_stop_ends_the_session_and_is_idempotent(kit) -> None:
    handle = kit.launch()
    _ready(kit, handle)
    assert kit.runtime.stop(handle, grace=4).dead
    assert kit.runtime.liveness(handle).dead
    assert kit.runtime.stop(handle, grace=1).dead


def test_a_running_name_cannot_be_launched_twice(kit) -> None:
    kit.launch("twin")
    with pytest.raises(Conflict):
        kit.launch("twin")


def test_the_environment_is_explicit_without_nested_session_variables(kit) -> None:
    base = {**os.environ, "CLAUDECODE": "1", "TMUX_PANE": "%99"}
    spec = kit.spec(base=base, TESTAGENT_SHOW_ENV="CLAUDECODE,BOSUN_MARK", BOSUN_MARK="m1")
    handle = kit.runtime.launch(spec)
    kit.handles.append(handle)
    _ready(kit, handle)
    screen = kit.runtime.capture(handle, 50)
    assert "env CLAUDECODE=<unset>" in screen
    assert "env BOSUN_MARK=m1" in screen
    assert f"cwd {kit.tmp}" in screen


def test_argv_words_reach_the_program_verbatim(kit) -> None:
    if kit.driver == "fake":
        pytest.skip("the fake runs no program")
    words = ["a  b", ";", "$HOME", "*", "`id`", "x;"]
    code = "import sys; print('ARGV', sys.argv[1:]); input()"
    spec = kit.spec()
    spec = type(spec)(**{**spec.__dict__, "argv": (sys.executable, "-c", code, *words)})
    handle = kit.runtime.launch(spec)
    wait_for(
        lambda: f"ARGV {words!r}" in kit.runtime.capture(handle, 20), timeout=20, what="argv echo"
    )


def test_waiting_input_is_seen_and_the_trust_dialog_is_answered(kit) -> None:
    handle = kit.launch(TESTAGENT_TRUST="1")
    wait_for(
        lambda: kit.runtime.screen_state(handle) is ScreenState.WAITING_INPUT,
        timeout=20,
        what="the trust dialog",
    )
    assert wait_until_ready(kit.runtime, handle, timeout=20) is ScreenState.READY
    kit.runtime.send(handle, "trusted now")
    wait_for(lambda: kit.prompts() == ["trusted now"], timeout=20, what="prompt")


def test_capture_returns_at_most_the_last_lines(kit) -> None:
    handle = kit.launch()
    _ready(kit, handle)
    for i in range(3):
        kit.runtime.send(handle, f"line {i}")
    wait_for(lambda: len(kit.prompts()) == 3, timeout=20, what="three prompts")
    wait_for(
        lambda: "● received 3: line 2" in kit.runtime.capture(handle, 3),
        timeout=20,
        what="the last acknowledgement",
    )
    assert len(kit.runtime.capture(handle, 3).splitlines()) <= 3


def test_last_activity_is_reported_and_moves_with_the_session(kit) -> None:
    if not kit.runtime.capabilities.reports_activity:
        pytest.skip(f"{kit.driver} cannot report a session's last activity")
    before = time.time()
    handle = kit.launch()
    _ready(kit, handle)
    first = kit.runtime.last_activity(handle)
    assert first is not None and before - 1 <= first <= time.time() + 1
    time.sleep(1.1)  # tmux reports whole seconds
    kit.runtime.send(handle, "wake up")
    wait_for(lambda: kit.prompts() == ["wake up"], timeout=20, what="the prompt")
    wait_for(
        lambda: (kit.runtime.last_activity(handle) or 0) > first,
        timeout=20,
        what="the activity stamp to move",
    )


def test_session_environment_drops_nested_variables_and_adds_extras() -> None:
    env = session_environment(
        {"CLAUDECODE": "1", "PATH": "/bin", "SECRET": "s"},
        {"BOSUN_IDENTITY": "r/n"},
        unset=["SECRET"],
    )
    assert env == {"PATH": "/bin", "BOSUN_IDENTITY": "r/n"}


def test_observe_all_reads_every_session_in_one_pass(kit) -> None:
    from bosun.runtime.protocol import observe_all

    alive = kit.launch("alive")
    _ready(kit, alive)
    exited = kit.launch("exited", TESTAGENT_EXIT="3")
    wait_for(lambda: kit.runtime.liveness(exited).dead, timeout=20, what="death")
    stopped = kit.launch("stopped")
    _ready(kit, stopped)
    kit.runtime.stop(stopped, grace=2)
    seen = observe_all(kit.runtime, [alive, exited, stopped])
    assert set(seen) == {alive, exited, stopped}
    assert seen[alive].liveness.alive
    assert seen[exited].liveness.dead and seen[exited].liveness.exit_code == 3
    assert seen[stopped].liveness.dead
    if kit.runtime.capabilities.reports_activity:
        activity = seen[alive].activity
        assert activity is not None and abs(activity - time.time()) < 60
    if kit.runtime.capabilities.batch_observe:
        assert seen[alive].width and seen[alive].height
