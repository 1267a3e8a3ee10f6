"""The fast path parses exactly the hot commands and hands everything else to the full CLI."""

from __future__ import annotations

import pytest

from bosun.cli import fastpath, hot


def bound(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, object] | None:
    """The parameters the fast path would call its command with (None: not taken)."""
    seen: dict[str, object] = {}

    def record(**values: object) -> None:
        seen.update(values)

    recording = {
        key: fastpath.FastCommand(record, c.positionals, c.required, c.options)
        for key, c in fastpath.COMMANDS.items()
    }
    monkeypatch.setattr(fastpath, "COMMANDS", recording)
    call = fastpath.match(argv)
    if call is None:
        return None
    call()
    return seen


def test_heartbeat_binds_role_and_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert bound(["identity", "heartbeat", "polecat", "toast", "--json"], monkeypatch) == {
        "role": "polecat", "name": "toast", "as_json": True,
    }


def test_options_take_a_value_with_or_without_equals(monkeypatch: pytest.MonkeyPatch) -> None:
    assert bound(["hook", "checkpoint", "p", "t", "--note=half done"], monkeypatch) == {
        "role": "p", "name": "t", "note": "half done", "as_json": False,
    }
    assert bound(["signal", "send", "refinery/merge-queue", "MERGE_READY", "--payload",
                  '{"a": 1}', "--from", "polecat/t"], monkeypatch) == {
        "to": "refinery/merge-queue", "kind": "MERGE_READY", "payload": '{"a": 1}',
        "sender": "polecat/t", "as_json": False,
    }


def test_prime_takes_zero_one_or_two_positionals(monkeypatch: pytest.MonkeyPatch) -> None:
    assert bound(["prime"], monkeypatch) == {"role": None, "name": None, "as_json": False}
    assert bound(["prime", "polecat/t"], monkeypatch) == {
        "role": "polecat/t", "name": None, "as_json": False,
    }


@pytest.mark.parametrize("argv", [
    ["identity", "heartbeat", "--help"],
    ["identity", "heartbeat", "polecat"],
    ["identity", "heartbeat", "a", "b", "c"],
    ["hook", "checkpoint", "p", "t", "--note"],
    ["hook", "checkpoint", "p", "t", "--bogus", "x"],
    ["-v", "prime"],
    ["identity", "list"],
    ["status"],
    [],
])
def test_anything_else_goes_to_the_full_cli(argv: list[str]) -> None:
    assert fastpath.match(argv) is None


def test_the_fast_path_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fastpath.match(["prime"]) is not None
    monkeypatch.setenv("BOSUN_NO_FAST_PATH", "1")
    assert fastpath.match(["prime"]) is None


def test_every_fast_command_runs_a_hot_function() -> None:
    hot_functions = {hot.heartbeat, hot.prime, hot.checkpoint, hot.signal_send}
    assert {c.run for c in fastpath.COMMANDS.values()} == hot_functions
