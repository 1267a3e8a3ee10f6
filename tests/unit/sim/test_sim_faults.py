"""Fault configuration and the once-ledger of the sim agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bosun.runtime.sim.faults import (
    FaultConfigError,
    FaultLedger,
    Faults,
    combine,
    faults_from_env,
    parse_faults,
)


def test_every_fault_parses() -> None:
    faults, keys = parse_faults(
        {
            "crash_at_step": 2,
            "exit_code": 7,
            "hang_at_step": 3,
            "exhaust_context_at_step": 4,
            "swallow_enter": True,
            "trust_dialog": True,
            "ignore_nudges": True,
            "claim_without_action": "I'll push it now",
            "claim_at_step": 5,
            "once": True,
        },
        "test",
    )
    assert faults == Faults(2, 7, 3, 4, True, True, True, "I'll push it now", 5, True)
    assert "exit_code" in keys and len(keys) == 10


def test_no_configuration_means_no_faults() -> None:
    assert faults_from_env(None) == (Faults(), frozenset())
    assert faults_from_env("  ") == (Faults(), frozenset())
    assert Faults().exit_code == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"crash_at": 1}, "unknown fault 'crash_at' in test"),
        ({"crash_at_step": 0}, "crash_at_step in test must be a whole number from 1"),
        ({"crash_at_step": "2"}, "crash_at_step in test must be a whole number"),
        ({"crash_at_step": True}, "crash_at_step in test must be a whole number"),
        ({"exit_code": 256}, "exit_code in test must be a whole number from 1 to 255"),
        ({"exit_code": 0}, "exit_code"),
        ({"swallow_enter": "yes"}, "swallow_enter in test must be true or false"),
        ({"claim_without_action": " "}, "claim_without_action in test must be a non-empty"),
        ([1], "faults in test must be a JSON object"),
    ],
)
def test_bad_faults_are_refused_with_a_hint(data: object, message: str) -> None:
    with pytest.raises(FaultConfigError, match=message) as info:
        parse_faults(data, "test")
    assert info.value.hint
    assert info.value.exit_code == 2


def test_env_faults_must_be_json() -> None:
    with pytest.raises(FaultConfigError, match="BOSUN_SIM_FAULTS is not JSON"):
        faults_from_env("{crash_at_step: 2}")


def test_environment_wins_key_by_key_over_the_task_script() -> None:
    env = faults_from_env('{"crash_at_step": 5, "once": false}')
    merged = combine({"crash_at_step": 2, "once": True, "swallow_enter": True}, env)
    assert (merged.crash_at_step, merged.once, merged.swallow_enter) == (5, False, True)
    assert combine(None, env).crash_at_step == 5
    with pytest.raises(FaultConfigError, match="in the task script"):
        combine({"hang": 1}, env)


def test_a_once_fault_fires_once_per_identity_and_work(tmp_path: Path) -> None:
    path = tmp_path / "sim" / "polecat-toast.json"
    faults = Faults(crash_at_step=2, once=True)
    first = FaultLedger(path)
    assert first.should_fire(faults, "bo-1", "crash_at_step")
    assert first.should_fire(faults, "bo-1", "crash_at_step")  # still acting in this process
    assert json.loads(path.read_text()) == {"fired": {"bo-1": ["crash_at_step"]}}
    second = FaultLedger(path)  # the next incarnation
    assert not second.should_fire(faults, "bo-1", "crash_at_step")
    assert second.should_fire(faults, "bo-2", "crash_at_step")  # other work: fires again


def test_without_once_a_fault_repeats_every_incarnation(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    for _ in range(3):
        assert FaultLedger(path).should_fire(Faults(crash_at_step=1), "bo-1", "crash_at_step")
    assert not path.exists()


def test_a_corrupt_ledger_is_moved_aside_not_silently_reset(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text("{torn")
    ledger = FaultLedger(path)
    assert not ledger.fired("bo-1", "crash_at_step")
    assert [p.name for p in tmp_path.iterdir()][0].startswith("ledger.json.corrupt-")


def test_a_ledger_without_a_file_remembers_in_memory() -> None:
    ledger = FaultLedger(None)
    faults = Faults(trust_dialog=True, once=True)
    assert ledger.should_fire(faults, "-", "trust_dialog")
    assert ledger.fired("-", "trust_dialog")
