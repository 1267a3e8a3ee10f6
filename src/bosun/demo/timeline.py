"""What happened, read from bosun's event log: the facts the live view and the report show.

The demo never infers from screens or timing: every fact here is an event bosun recorded
(principle 3), folded per agent as it is read. `Timeline.feed` takes events in id order
and can be called again with the next batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bosun.core.records import Event

STEP_RE = re.compile(r"\bsim:step=(\d+)/(\d+)")
DETECTED = re.compile(r"^supervisor\.(\w+)_detected$")


@dataclass
class Recovery:
    """One episode of the recovery ladder for one condition: its rungs and how it ended."""

    condition: str
    detected_at: float
    rungs: list[tuple[int, str, str]] = field(default_factory=list)  # (rung, strategy, outcome)
    recovered_at: float | None = None
    escalated: bool = False

    @property
    def seconds(self) -> float | None:
        return None if self.recovered_at is None else self.recovered_at - self.detected_at

    @property
    def final(self) -> tuple[int, str] | None:
        """The rung (1-based) and strategy that recovered the agent."""
        for rung, strategy, outcome in reversed(self.rungs):
            if outcome == "success":
                return rung + 1, strategy
        return None

    def describe(self) -> str:
        if self.escalated:
            return f"{self.condition}: escalated"
        final = self.final
        if final is None:
            tried = ", ".join(s for _, s, _ in self.rungs) or "detected"
            return f"{self.condition}: {tried}…"
        rung, strategy = final
        took = f" in {self.seconds:.1f}s" if self.seconds is not None else ""
        return f"{self.condition} → {strategy} (rung {rung}){took}"


@dataclass
class AgentFacts:
    ref: str
    incarnation: int = 0
    live: bool = False
    end_reason: str = ""
    phase: str = "-"
    step: tuple[int, int] | None = None
    work_id: str | None = None
    work_status: str = "-"
    recoveries: list[Recovery] = field(default_factory=list)
    merges: int = 0
    conflicts: int = 0
    swallowed_enters: int = 0  # extra Enter presses a verified delivery needed
    deliveries: int = 0
    commitments: dict[str, str] = field(default_factory=dict)  # id → status
    nudged_commitments: int = 0
    triggers: list[str] = field(default_factory=list)  # trigger job outcomes, in order
    patrol_nudges: int = 0
    quarantined: bool = False

    def open_recovery(self, condition: str) -> Recovery | None:
        for recovery in reversed(self.recoveries):
            if recovery.condition == condition and recovery.recovered_at is None:
                return None if recovery.escalated else recovery
        return None


@dataclass
class Timeline:
    agents: dict[str, AgentFacts]
    last_id: int = 0
    events: int = 0
    merged_requests: int = 0
    conflicts: int = 0
    escalations: int = 0
    work_status: dict[str, str] = field(default_factory=dict)
    first_ts: float | None = None
    last_ts: float | None = None

    @classmethod
    def for_agents(cls, refs: list[str]) -> Timeline:
        return cls({ref: AgentFacts(ref) for ref in refs})

    def agent_for_branch(self, branch: Any) -> AgentFacts | None:
        if isinstance(branch, str) and branch.startswith("bosun/"):
            return self.agents.get(f"polecat/{branch.removeprefix('bosun/')}")
        return None

    def feed(self, events: list[Event]) -> None:
        for event in events:
            if event.id <= self.last_id:
                continue
            self.last_id = event.id
            self.events += 1
            self.first_ts = event.ts if self.first_ts is None else self.first_ts
            self.last_ts = event.ts
            self._one(event)

    def _one(self, e: Event) -> None:
        data = e.data
        facts: AgentFacts | None
        if e.kind == "work.status":
            self.work_status[e.subject] = str(data.get("new"))
            for each in self.agents.values():
                if each.work_id == e.subject:
                    each.work_status = str(data.get("new"))
            return
        if e.kind == "merge.landed":
            self.merged_requests += 1
            facts = self.agent_for_branch(data.get("branch"))
            if facts is not None:
                facts.merges += 1
            return
        if e.kind == "merge.conflict":
            self.conflicts += 1
            facts = self.agent_for_branch(data.get("branch"))
            if facts is not None:
                facts.conflicts += 1
            return
        if e.kind == "supervisor.escalated":
            self.escalations += 1
        facts = self.agents.get(e.subject)
        if facts is not None:
            self._agent(facts, e)

    def _agent(self, f: AgentFacts, e: Event) -> None:
        data, kind = e.data, e.kind
        if kind == "agent.launched":
            f.incarnation = int(data.get("incarnation") or f.incarnation)
            f.live, f.end_reason = True, ""
        elif kind == "agent.ended":
            if int(data.get("incarnation") or 0) == f.incarnation:
                f.live, f.end_reason = False, str(data.get("reason") or "")
        elif kind == "hook.pinned":
            f.work_id = str(data.get("work_id") or f.work_id)
            f.work_status = self.work_status.get(f.work_id or "", f.work_status)
        elif kind == "hook.phase":
            f.phase = str(data.get("new"))
            f.work_id = str(data.get("work_id") or f.work_id)
        elif kind == "hook.checkpoint":
            match = STEP_RE.search(str(data.get("note") or ""))
            if match:
                f.step = (int(match.group(1)), int(match.group(2)))
        elif kind == "agent.sent":
            f.deliveries += 1
            f.swallowed_enters += max(0, int(data.get("enter_presses") or 1) - 1)
        elif kind.startswith("commitment."):
            if "status" in data:
                f.commitments[str(data.get("id"))] = str(data["status"])
            if kind == "commitment.nudged":
                f.nudged_commitments += 1
        elif kind.startswith("trigger.") and kind not in ("trigger.worker_started",):
            f.triggers.append(kind.removeprefix("trigger."))
        elif kind == "supervisor.patrol_nudged":
            f.patrol_nudges += 1
        elif kind == "supervisor.quarantined":
            f.quarantined = True
        else:
            self._ladder(f, e)

    def _ladder(self, f: AgentFacts, e: Event) -> None:
        data, kind = e.data, e.kind
        detected = DETECTED.match(kind)
        if detected:
            condition = detected.group(1)
            # a clean exit (exit code 0) is no trouble: nothing to recover
            if condition in ("checkpoint_due", "exit") or f.open_recovery(condition):
                return
            f.recoveries.append(Recovery(condition, e.ts))
            return
        if not kind.startswith("supervisor.recovery_"):
            return
        condition = str(data.get("condition"))
        recovery = f.open_recovery(condition)
        if recovery is None:
            recovery = Recovery(condition, e.ts)
            f.recoveries.append(recovery)
        outcome = kind.removeprefix("supervisor.recovery_")
        rung, strategy = int(data.get("rung") or 0), str(data.get("strategy"))
        if outcome == "started":
            recovery.rungs.append((rung, strategy, "pending"))
            return
        for i, (r, s, o) in enumerate(recovery.rungs):
            if r == rung and s == strategy and o == "pending":
                recovery.rungs[i] = (r, s, outcome)
                break
        else:
            recovery.rungs.append((rung, strategy, outcome))
        if outcome == "success":
            recovery.recovered_at = e.ts
        elif outcome == "escalated":
            recovery.escalated = True
