"""One tick observes the whole fleet with one tmux call and captures only panes that drew."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from suprig import Rig

from waiting import wait_for

pytestmark = pytest.mark.tmux


def test_one_tick_lists_panes_once_and_captures_only_changed_screens(rig: Rig) -> None:
    from bosun.agents.driver import project_fleet
    from bosun.supervisor.observe import Observer

    rig.spawn("quiet")
    rig.spawn("chatty")
    fleet = project_fleet(rig.ctx)
    calls: Counter[str] = Counter()
    real_run = fleet.runtime.tmux.run

    captured: list[str] = []

    def counting(*args: str, **kwargs: Any) -> str:
        calls[args[0]] += 1
        if args[0] == "capture-pane":
            captured.append(args[args.index("-t") + 1])
        return str(real_run(*args, **kwargs))

    fleet.runtime.tmux.run = counting
    observer = Observer(fleet, look_interval=0.0)
    identities = {i.ref: i for i in rig.ctx.identities.list()}

    def tick() -> dict[str, bool | None]:
        calls.clear()
        captured.clear()
        sessions = fleet.live()
        observer.prefetch(sessions)
        now = time.time()
        return {s.name: observer.observe(s, identities[s.ref], None, now).alive for s in sessions}

    assert tick() == {"quiet": True, "chatty": True}
    assert calls["list-panes"] == 1 and calls["capture-pane"] == 2
    assert calls["display-message"] == 0  # no per-agent liveness call

    def quiet_tick() -> bool:
        time.sleep(1.1)  # tmux stamps activity in whole seconds
        assert tick() == {"quiet": True, "chatty": True}
        assert calls["list-panes"] == 1 and calls["display-message"] == 0
        return calls["capture-pane"] == 0

    # once the panes stop drawing (a sim agent settles after it starts), nothing is captured
    wait_for(quiet_tick, timeout=30, what="a tick with no capture")
    assert quiet_tick()
    chatty = next(s for s in fleet.live() if s.name == "chatty")
    rig.ok("agent", "send", "polecat/chatty", "say something")
    time.sleep(1.2)
    tick()
    assert calls["list-panes"] == 1 and calls["capture-pane"] >= 1
    assert captured and set(captured) == {chatty.target}
