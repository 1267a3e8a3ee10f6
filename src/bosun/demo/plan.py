"""The fleet plan: which agent gets which fault, and the task script each one runs.

Pure: `parse_faults` and `plan_fleet` take the command line's values and return the plan
(or raise `InvalidInput`); nothing here touches git, tmux or the store.

Faults (``--faults all`` injects each once):

    crash     the agent's process exits (code 3) mid-task      → seance restart
    hang      the agent stays busy and stops making progress    → nudge, then seance restart
    context   its context window jumps past 90 % mid-task       → context cycle
    swallow   it ignores an Enter right after pasted text       → delivery presses Enter again
    conflict  two agents add a line at the same place of CHANGELOG.md → MERGE_FAILED, the
              agent rebases onto main, resolves and signals MERGE_READY again
    claim     it says it will commit, then stops without doing it (sentinel enabled)
                                                                → commitment, nudge, commit
    dormant   its session is not running when a thread message arrives → trigger wakes it
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bosun.base.errors import InvalidInput
from bosun.demo.sample import Feature, features, test_command

MAX_AGENTS = 12
QUEUE = "refinery/merge-queue"
MERGE_PAYLOAD = {"branch": "{branch}", "work_id": "{work_id}"}


class Fault(StrEnum):
    CRASH = "crash"
    HANG = "hang"
    CONTEXT = "context"
    SWALLOW = "swallow"
    CONFLICT = "conflict"
    CLAIM = "claim"
    DORMANT = "dormant"


# The order agents are given faults in: the first N go to N different agents.
ORDER = (
    Fault.CRASH,
    Fault.HANG,
    Fault.CONTEXT,
    Fault.CONFLICT,  # the first agent of the pair …
    Fault.CONFLICT,  # … and the second
    Fault.CLAIM,
    Fault.DORMANT,
    Fault.SWALLOW,
)

# Faults one agent cannot carry together (a swallow needs a message typed into a session
# that is at its prompt: not hung, not parked after a claim, not dormant).
INCOMPATIBLE = frozenset(
    {
        frozenset({Fault.SWALLOW, Fault.HANG}),
        frozenset({Fault.SWALLOW, Fault.CLAIM}),
        frozenset({Fault.SWALLOW, Fault.DORMANT}),
        frozenset({Fault.CLAIM, Fault.DORMANT}),
        frozenset({Fault.CONFLICT}),  # both agents of the pair are never the same agent
    }
)

HINT = "give all, none, or a comma-separated list of: " + ", ".join(f.value for f in Fault)


def parse_faults(value: str) -> tuple[Fault, ...]:
    """`all`, `none` or `crash,hang,…` → the faults to inject (in ORDER's order)."""
    text = value.strip().lower()
    if text == "all":
        return tuple(dict.fromkeys(ORDER))
    if text in ("none", ""):
        return ()
    wanted = []
    for part in text.split(","):
        name = part.strip()
        if not name:
            continue
        try:
            wanted.append(Fault(name))
        except ValueError:
            raise InvalidInput(f"unknown fault {name!r}", HINT) from None
    return tuple(f for f in dict.fromkeys(ORDER) if f in wanted)


@dataclass(frozen=True)
class AgentPlan:
    name: str
    feature: Feature
    faults: tuple[Fault, ...] = ()
    steps: tuple[dict[str, Any], ...] = ()
    sim_faults: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"polecat/{self.name}"

    @property
    def dormant(self) -> bool:
        return Fault.DORMANT in self.faults

    @property
    def conflicting(self) -> bool:
        return Fault.CONFLICT in self.faults

    def body(self) -> str:
        """The work item body: what to do, and the sim agent's task script."""
        script: dict[str, Any] = {"steps": list(self.steps)}
        if self.sim_faults:
            script["faults"] = self.sim_faults
        return (
            f"Add `{self.feature.name}(x)` to the calc package as {self.feature.module_path}, "
            f"with a unittest in {self.feature.test_path}; run the tests, commit, and ask the "
            "merge queue to land it.\n\n"
            "```bosun-task\n" + json.dumps(script, indent=1) + "\n```\n"
        )

    def files(self) -> dict[str, str]:
        """What this agent's work must leave in main: path → exact content."""
        return {
            self.feature.module_path: self.feature.module,
            self.feature.test_path: self.feature.test,
        }


@dataclass(frozen=True)
class FleetPlan:
    agents: tuple[AgentPlan, ...]
    faults: tuple[Fault, ...]
    quick: bool

    @property
    def sentinel(self) -> bool:
        return Fault.CLAIM in self.faults

    def with_fault(self, fault: Fault) -> list[AgentPlan]:
        return [a for a in self.agents if fault in a.faults]


def assign_faults(count: int, faults: tuple[Fault, ...]) -> list[tuple[Fault, ...]]:
    """Give each fault (the conflict one twice) to an agent; raise when they do not fit."""
    slots = [f for f in ORDER if f in faults]
    if Fault.CONFLICT in faults and count < 2:
        raise InvalidInput(
            "the conflict fault needs two agents",
            "use --agents 2 or more, or leave conflict out of --faults",
        )
    held: list[list[Fault]] = [[] for _ in range(count)]
    if not _place(slots, 0, held):
        raise InvalidInput(
            f"{count} agent(s) cannot carry the faults {', '.join(slots)} together",
            "use more --agents, or fewer --faults",
        )
    return [tuple(h) for h in held]


def _place(slots: list[Fault], i: int, held: list[list[Fault]]) -> bool:
    """Backtracking: the first len(held) faults each get their own agent; later ones go to
    the least-loaded agent they fit on (the later agent on a tie)."""
    if i == len(slots):
        return True
    fault = slots[i]
    loads = sorted(range(len(held)), key=lambda a: (len(held[a]), -a))
    options = [i] if i < len(held) else loads
    for a in options:
        if _fits(held[a], fault):
            held[a].append(fault)
            if _place(slots, i + 1, held):
                return True
            held[a].pop()
    return False


def _fits(held: list[Fault], fault: Fault) -> bool:
    return all(frozenset({fault, other}) not in INCOMPATIBLE for other in held) and (
        fault != Fault.CONFLICT or Fault.CONFLICT not in held
    )


def plan_fleet(count: int, faults: tuple[Fault, ...], quick: bool) -> FleetPlan:
    if not 1 <= count <= MAX_AGENTS:
        raise InvalidInput(
            f"--agents must be from 1 to {MAX_AGENTS} (got {count})", "the default is 6"
        )
    assigned = assign_faults(count, faults)
    agents = tuple(
        _agent(feature, held, quick)
        for feature, held in zip(features(count), assigned, strict=True)
    )
    return FleetPlan(agents, faults, quick)


# -- task scripts -----------------------------------------------------------------------------

SWALLOW_WINDOW = 1.0  # seconds: every first Enter after a paste lands inside it
CRASH_STEP = 3  # after the module is written, before its test
HANG_STEP = 4
CONTEXT_STEP = 5


def _agent(feature: Feature, faults: tuple[Fault, ...], quick: bool) -> AgentPlan:
    busy = 0.5 if quick else 3.0
    steps: list[dict[str, Any]] = [
        {"phase": "executing"},
        {"write": {"path": feature.module_path, "content": feature.module}},
        {"write": {"path": feature.test_path, "content": feature.test}},
        {"work": busy},
        {"run": test_command(), "timeout": 300},
    ]
    if Fault.CONFLICT in faults:
        steps.append(
            {"write": {"path": "CHANGELOG.md", "content": feature.changelog_line, "append": True}}
        )
    commit_step = len(steps) + 1
    steps += [
        {"commit": f"calc: add {feature.name}"},
        {"phase": "impl_complete"},
        {"phase": "merge_ready"},
        {"signal": "MERGE_READY", "to": QUEUE, "payload": MERGE_PAYLOAD},
    ]
    sim: dict[str, Any] = {}
    if Fault.CRASH in faults:
        sim["crash_at_step"] = CRASH_STEP
    if Fault.HANG in faults:
        sim["hang_at_step"] = HANG_STEP
    if Fault.CONTEXT in faults:
        sim["exhaust_context_at_step"] = CONTEXT_STEP
    if Fault.SWALLOW in faults:
        sim["swallow_enter"] = True
        sim["swallow_window"] = SWALLOW_WINDOW
    if Fault.CLAIM in faults:
        sim["claim_without_action"] = (
            f"The tests pass. I will commit {feature.module_path} and its test now."
        )
        sim["claim_at_step"] = commit_step
    if sim:
        sim["once"] = True
    return AgentPlan(feature.name, feature, faults, tuple(steps), sim)
