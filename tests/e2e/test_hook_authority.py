"""Authority over hooks (issue 17 item 16): an agent changes its own hook; pinning onto
another identity (crew included) needs --force, which is recorded with who forced it; the
operator (no BOSUN_IDENTITY) may act on any hook. Run through the real CLI."""

from __future__ import annotations

import os

import pytest

from clirunner import Bosun

AGENT_A = {"BOSUN_IDENTITY": "polecat/alpha"}


@pytest.fixture
def fleet(bosun: Bosun, monkeypatch: pytest.MonkeyPatch) -> Bosun:
    monkeypatch.delenv("BOSUN_IDENTITY", raising=False)  # the test runs as the operator
    assert "BOSUN_IDENTITY" not in os.environ
    bosun.ok("identity", "create", "polecat", "alpha")
    bosun.ok("identity", "create", "polecat", "beta")
    bosun.ok("identity", "create", "crew", "ada")
    return bosun


def _work_and_hooks(bosun: Bosun) -> list[object]:
    """The hooks and work items, and their events (an agent's call still heartbeats)."""
    tables = dict(bosun.db_snapshot())
    events = [r for r in tables["events"] if str(r[2]).startswith(("hook.", "work."))]
    return [tables["hooks"], tables["work_items"], events]


def _forced(bosun: Bosun) -> list[dict[str, object]]:
    return [e["data"] for e in bosun.ok("events", "--kind", "hook.forced")]


@pytest.mark.parametrize("target", [("polecat", "beta"), ("crew", "ada")])
def test_an_agent_cannot_pin_work_onto_another_identity(
    fleet: Bosun, target: tuple[str, str]
) -> None:
    work = fleet.ok("work", "create", "Refactor auth")
    before = _work_and_hooks(fleet)
    refused = fleet("hook", "pin", *target, work["id"], env=AGENT_A)
    assert refused.code == 2
    assert f"polecat/alpha may not pin the hook of {'/'.join(target)}" in refused.err
    assert "--force" in refused.err
    assert _work_and_hooks(fleet) == before


def test_a_forced_pin_is_recorded_with_who_forced_it(fleet: Bosun) -> None:
    work = fleet.ok("work", "create", "Refactor auth")
    hook = fleet.ok("hook", "pin", "crew", "ada", work["id"], "--force", env=AGENT_A)
    assert hook["work_id"] == work["id"]
    assert _forced(fleet) == [{"by": "polecat/alpha", "action": "pin", "work_id": work["id"]}]
    pinned = fleet.ok("events", "--kind", "hook.pinned")[-1]
    assert pinned["data"]["by"] == "polecat/alpha"


def test_an_agent_pins_onto_itself_and_the_operator_onto_anyone(fleet: Bosun) -> None:
    mine = fleet.ok("work", "create", "Mine")
    theirs = fleet.ok("work", "create", "Theirs")
    fleet.ok("hook", "pin", "polecat", "alpha", mine["id"], env=AGENT_A)
    fleet.ok("hook", "pin", "polecat", "beta", theirs["id"])  # the operator
    assert _forced(fleet) == []


def test_an_agent_cannot_move_or_release_another_agents_hook(fleet: Bosun) -> None:
    work = fleet.ok("work", "create", "Theirs")
    fleet.ok("hook", "pin", "polecat", "beta", work["id"])
    before = _work_and_hooks(fleet)
    for argv in (
        ("hook", "update-phase", "polecat", "beta", "executing"),
        ("hook", "release", "polecat", "beta"),
        ("work", "update", work["id"], "--status", "open"),
    ):
        refused = fleet(*argv, env=AGENT_A)
        assert refused.code == 2 and "may not" in refused.err, argv
    assert _work_and_hooks(fleet) == before
    fleet.ok("hook", "release", "polecat", "beta", "--force", env=AGENT_A)
    assert [d["action"] for d in _forced(fleet)] == ["release"]
