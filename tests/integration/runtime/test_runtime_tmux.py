"""What only the tmux driver does: server per socket, exact names, pane pinning, the exactly-
once delivery protocol against a composer that swallows Enter, concurrent senders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from runtime_kit import TEST_DELIVERY, Kit

from bosun.base.errors import RuntimeFailure
from bosun.runtime.protocol import LaunchSpec, LivenessState
from bosun.runtime.readiness import wait_until_ready
from bosun.runtime.tmux import TmuxRuntime
from bosun.runtime.tmux_cli import socket_for_project
from waiting import wait_for

pytestmark = pytest.mark.tmux


def _ready(kit: Kit, handle) -> None:  # type: ignore[no-untyped-def]
    wait_until_ready(kit.runtime, handle, timeout=20)


def test_a_swallowed_enter_is_pressed_again_and_the_text_arrives_once(tmux_kit: Kit) -> None:
    handle = tmux_kit.launch(TESTAGENT_SWALLOW="first")
    _ready(tmux_kit, handle)
    one = tmux_kit.runtime.send(handle, "short line")
    two = tmux_kit.runtime.send(handle, "multi\nline text")
    assert (one.method, two.method) == ("keys", "paste")
    assert one.verified and two.verified
    assert one.enter_presses == 2 and two.enter_presses == 2
    wait_for(
        lambda: tmux_kit.prompts() == ["short line", "multi\nline text"],
        timeout=20,
        what="both prompts once",
    )


def test_mixed_sends_with_the_120ms_swallow_window_each_arrive_exactly_once(
    tmux_kit: Kit,
) -> None:
    handle = tmux_kit.launch(TESTAGENT_SWALLOW="120")
    _ready(tmux_kit, handle)
    texts = []
    for i in range(30):
        text = f"note {i}: check the build" if i % 3 else f"step {i}\n- first\n- second {i}"
        texts.append(text)
        assert tmux_kit.runtime.send(handle, text).verified
    wait_for(lambda: len(tmux_kit.prompts()) >= 30, timeout=30, what="30 prompts")
    assert tmux_kit.prompts() == texts


def test_text_that_is_never_taken_fails_after_bounded_enters_and_is_typed_once(
    tmux_kit: Kit,
) -> None:
    handle = tmux_kit.launch(TESTAGENT_SWALLOW="all")
    _ready(tmux_kit, handle)
    with pytest.raises(RuntimeFailure) as err:
        tmux_kit.runtime.send(handle, "stuck text")
    assert err.value.code == "not_submitted"
    assert "4 Enter presses" in err.value.message
    assert tmux_kit.prompts() == []
    screen = tmux_kit.runtime.capture(handle, 5)
    assert screen.count("stuck text") == 1


def test_concurrent_senders_serialise_on_the_pane_lock(tmux_kit: Kit, tmp_path: Path) -> None:
    handle = tmux_kit.launch()
    _ready(tmux_kit, handle)
    errors: list[BaseException] = []

    def sender(k: int) -> None:
        # Each sender has its own driver object, as separate bosun processes would.
        runtime = TmuxRuntime(
            tmux_kit.runtime.socket,
            delivery=TEST_DELIVERY,
            spec_dir=tmp_path / "spec",
            lock_dir=tmp_path / "locks",
        )
        try:
            for i in range(4):
                runtime.send(handle, f"sender {k} message {i}\nsecond line {k}.{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    wait_for(lambda: len(tmux_kit.prompts()) >= 12, timeout=30, what="12 prompts")
    expected = {f"sender {k} message {i}\nsecond line {k}.{i}" for k in range(3) for i in range(4)}
    assert sorted(tmux_kit.prompts()) == sorted(expected)


def test_a_pane_that_disappears_while_bosun_waits_to_send_is_an_error(tmux_kit: Kit) -> None:
    handle = tmux_kit.launch(TESTAGENT_START_DELAY="60")
    outcome: list[BaseException | object] = []

    def send() -> None:
        try:
            outcome.append(tmux_kit.runtime.send(handle, "never"))
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    thread = threading.Thread(target=send)
    thread.start()
    tmux_kit.runtime.tmux.run("kill-session", "-t", f"={handle.session}")
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert isinstance(outcome[0], RuntimeFailure)
    assert outcome[0].code in ("session_dead", "session_gone")
    assert tmux_kit.prompts() == []


def test_a_crashed_tmux_server_means_every_session_is_dead(tmux_kit: Kit) -> None:
    one, two = tmux_kit.launch("one"), tmux_kit.launch("two")
    server_pid = int(tmux_kit.runtime.tmux.run("display-message", "-p", "#{pid}").strip())
    os.kill(server_pid, signal.SIGKILL)
    for handle in (one, two):
        live = wait_for(
            lambda h=handle: (lv := tmux_kit.runtime.liveness(h)).dead and lv,
            timeout=20,
            what="dead",
        )
        assert live.reason == "tmux server gone"
    assert tmux_kit.runtime.list_sessions() == []


def test_killing_the_agent_process_reports_dead_with_its_signal(tmux_kit: Kit) -> None:
    handle = tmux_kit.launch()
    _ready(tmux_kit, handle)
    os.kill(handle.pid, signal.SIGKILL)
    live = wait_for(
        lambda: (lv := tmux_kit.runtime.liveness(handle)).dead and lv, timeout=20, what="dead"
    )
    assert live.signal == signal.SIGKILL


def test_a_dead_session_keeps_its_screen_and_its_name_can_be_relaunched(tmux_kit: Kit) -> None:
    first = tmux_kit.launch(TESTAGENT_EXIT="4")
    wait_for(lambda: tmux_kit.runtime.liveness(first).exit_code == 4, timeout=20, what="exit")
    assert "exiting at once" in tmux_kit.runtime.capture(first, 10)
    second = tmux_kit.launch()
    _ready(tmux_kit, second)
    # The server exited with its last session, so the new pane may reuse the id `%0`:
    # the old handle must still read as dead (its pid no longer matches).
    assert second.pid != first.pid
    assert tmux_kit.runtime.liveness(first).dead
    assert tmux_kit.runtime.liveness(second).alive


def test_exact_name_matching_does_not_confuse_prefixes(tmux_kit: Kit) -> None:
    long = tmux_kit.launch("ab")
    _ready(tmux_kit, long)
    short = tmux_kit.launch("a")  # `bosun-test-a` is a prefix of `bosun-test-ab`
    _ready(tmux_kit, short)
    tmux_kit.runtime.stop(short, grace=2)
    assert tmux_kit.runtime.liveness(long).alive


def test_a_program_that_cannot_start_dies_with_127_and_says_why(tmux_kit: Kit) -> None:
    spec = tmux_kit.spec("missing")
    spec = LaunchSpec(**{**spec.__dict__, "argv": ("/nonexistent/agent-cli",)})
    handle = tmux_kit.runtime.launch(spec)
    live = wait_for(
        lambda: (lv := tmux_kit.runtime.liveness(handle)).dead and lv, timeout=20, what="dead"
    )
    assert live.exit_code == 127
    assert "cannot run '/nonexistent/agent-cli'" in tmux_kit.runtime.capture(handle, 10)
    assert not list((tmux_kit.tmp / "spec").iterdir())  # the spec (env!) is deleted


def test_no_tmux_on_path_is_a_clear_error_with_the_install_command(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    runtime = TmuxRuntime("bosun-test-none", spec_dir=tmp_path / "s", lock_dir=tmp_path / "l")
    spec = LaunchSpec("test", "x", ("true",), tmp_path, {})
    with pytest.raises(RuntimeFailure) as err:
        runtime.launch(spec)
    assert err.value.code == "tmux_missing"
    assert "apt-get install -y tmux" in err.value.hint


def test_liveness_of_an_unknown_socket_is_dead_not_an_exception(tmp_path: Path) -> None:
    runtime = TmuxRuntime(f"bosun-test-absent-{os.getpid()}", lock_dir=tmp_path)
    from bosun.runtime.protocol import SessionHandle

    handle = SessionHandle("tmux", "bosun-x-y", "x", "y", "%0", 1, 0.0, socket=runtime.socket)
    assert runtime.liveness(handle).state is LivenessState.DEAD


def test_the_project_socket_name_is_short_stable_and_per_project(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    assert socket_for_project(a) == socket_for_project(a)
    assert socket_for_project(a) != socket_for_project(b)
    assert len(socket_for_project(a)) == len("bosun-") + 8


def test_the_launcher_refuses_a_missing_spec_with_127(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bosun.runtime.launch", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 127
    assert "cannot read" in done.stderr


def test_the_only_session_on_a_server_restarts_20_times_and_the_server_survives(
    tmux_kit: Kit,
) -> None:
    runtime = tmux_kit.runtime
    handle = tmux_kit.launch("only")
    server = runtime.tmux.display(handle.target, "#{pid}")
    for _ in range(20):
        assert runtime.stop(handle, grace=1).dead
        handle = tmux_kit.launch("only")
        assert runtime.liveness(handle).alive
    assert runtime.tmux.display(handle.target, "#{pid}") == server
    assert wait_until_ready(runtime, handle, timeout=20) is not None
