"""Fault injection for the sim agent, and the ledger that makes `once` faults fire once.

Faults come from the task script (`"faults": {…}`) and from the environment variable
`BOSUN_SIM_FAULTS` (a JSON object); the environment wins key by key.

    crash_at_step: k              exit with `exit_code` (default 3) before running step k
    exit_code: n                  1..255
    hang_at_step: k               before step k: stay busy forever, no progress, no heartbeats
    exhaust_context_at_step: k    before step k: context usage jumps past 90 %, then no progress
    swallow_enter: true           an Enter within 120 ms after pasted text is ignored
    swallow_window: s             that window in seconds (0.01..10; default 0.12)
    trust_dialog: true            show the folder-trust dialog first (1/Enter accepts, 2 exits 1)
    ignore_nudges: true           prompts are received but never acted on
    claim_without_action: "text"  at step `claim_at_step` (default: the last step) print the
                                  text as the final turn output, report it to the sentinel
                                  (`bosun sentinel observe`) and stop without doing the rest;
                                  it happens once per session (the next prompt resumes the work)
    once: true                    a fault that fired is recorded in the ledger and not repeated
                                  by the next incarnation of the identity (swallow_enter is a
                                  standing behaviour, not an event, so `once` does not apply)

Steps are counted from 1. The ledger is a JSON file keyed by identity
(`.bosun/state/sim/<role>-<name>.json`), scoped by work item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from bosun.base.errors import InvalidInput
from bosun.base.paths import atomic_write_json, move_aside

SWALLOW_WINDOW = 0.120
DEFAULT_EXIT_CODE = 3
HINT = 'e.g. BOSUN_SIM_FAULTS=\'{"crash_at_step": 2, "once": true}\''


class FaultConfigError(InvalidInput):
    code = "bad_fault_config"


@dataclass(frozen=True)
class Faults:
    crash_at_step: int | None = None
    exit_code: int = DEFAULT_EXIT_CODE
    hang_at_step: int | None = None
    exhaust_context_at_step: int | None = None
    swallow_enter: bool = False
    trust_dialog: bool = False
    ignore_nudges: bool = False
    claim_without_action: str | None = None
    claim_at_step: int | None = None
    once: bool = False
    swallow_window: float = SWALLOW_WINDOW

    def merged(self, override: Faults, keys: frozenset[str]) -> Faults:
        """These faults with the fields named in `keys` taken from `override`."""
        return replace(self, **{k: getattr(override, k) for k in keys})


FAULT_NAMES = frozenset(f.name for f in fields(Faults))
_STEP_KEYS = ("crash_at_step", "hang_at_step", "exhaust_context_at_step", "claim_at_step")
_BOOL_KEYS = ("swallow_enter", "trust_dialog", "ignore_nudges", "once")


def parse_faults(data: Any, source: str) -> tuple[Faults, frozenset[str]]:
    """Check a fault object; return the faults and the keys it set."""
    if not isinstance(data, dict):
        raise FaultConfigError(f"faults in {source} must be a JSON object", HINT)
    unknown = sorted(set(data) - FAULT_NAMES)
    if unknown:
        raise FaultConfigError(
            f"unknown fault {unknown[0]!r} in {source}",
            "known faults: " + ", ".join(sorted(FAULT_NAMES)),
        )
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in _STEP_KEYS:
            values[key] = _int(value, f"{key} in {source}", 1, 10_000)
        elif key == "swallow_window":
            values[key] = _seconds(value, f"swallow_window in {source}", 0.01, 10.0)
        elif key == "exit_code":
            values[key] = _int(value, f"exit_code in {source}", 1, 255)
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise FaultConfigError(f"{key} in {source} must be true or false", HINT)
            values[key] = value
        else:  # claim_without_action
            if not isinstance(value, str) or not value.strip():
                raise FaultConfigError(f"{key} in {source} must be a non-empty string", HINT)
            values[key] = value
    return Faults(**values), frozenset(values)


def faults_from_env(raw: str | None) -> tuple[Faults, frozenset[str]]:
    if raw is None or not raw.strip():
        return Faults(), frozenset()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FaultConfigError(
            f"BOSUN_SIM_FAULTS is not JSON: {exc.msg} at column {exc.colno}", HINT
        ) from exc
    return parse_faults(data, "BOSUN_SIM_FAULTS")


def combine(script: dict[str, Any] | None, env: tuple[Faults, frozenset[str]]) -> Faults:
    """Task-script faults with the environment's keys laid over them."""
    base, _ = parse_faults(script or {}, "the task script")
    env_faults, env_keys = env
    return base.merged(env_faults, env_keys)


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FaultConfigError(f"{what} must be a whole number from {low} to {high}", HINT)
    return value


def _seconds(value: Any, what: str, low: float, high: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not low <= value <= high:
        raise FaultConfigError(f"{what} must be a number of seconds from {low:g} to {high:g}", HINT)
    return float(value)


class FaultLedger:
    """Which `once` faults already fired, per work item, for one identity.

    Without a file (no project, no identity) the ledger lives in memory only.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[str, list[str]] = {}
        self._mine: set[tuple[str, str]] = set()  # fired by this process: stays active
        self._spent: set[tuple[str, str]] = set()  # one-shot faults this process already did

    def _load(self) -> dict[str, list[str]]:
        if self.path is None:
            return self._memory
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            move_aside(self.path)
            return {}
        fired = data.get("fired") if isinstance(data, dict) else None
        return fired if isinstance(fired, dict) else {}

    def fired(self, scope: str, fault: str) -> bool:
        return fault in self._load().get(scope, [])

    def record(self, scope: str, fault: str) -> None:
        data = self._load()
        names = data.setdefault(scope, [])
        if fault not in names:
            names.append(fault)
        if self.path is None:
            self._memory = data
        else:
            atomic_write_json(self.path, {"fired": data})

    def should_fire(self, faults: Faults, scope: str, fault: str) -> bool:
        """True when a configured fault acts in this process; records it when `once` is set.

        A fault that fired in this process keeps acting here (an agent that ignores nudges
        ignores all of them); with `once` the next incarnation is spared.
        """
        if (scope, fault) in self._mine:
            return True
        if faults.once and self.fired(scope, fault):
            return False
        if faults.once:
            self.record(scope, fault)
        self._mine.add((scope, fault))
        return True

    def fire_once(self, faults: Faults, scope: str, fault: str) -> bool:
        """For a one-shot fault (a claim): True the first time in this process — and, with
        `once`, only when no earlier incarnation fired it."""
        if (scope, fault) in self._spent:
            return False
        if faults.once and self.fired(scope, fault):
            return False
        if faults.once:
            self.record(scope, fault)
        self._spent.add((scope, fault))
        return True
