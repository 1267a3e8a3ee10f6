"""The demo's verdict: per agent, what was injected, how it recovered and what landed; the
totals; and whether every expectation held.

**Work lost** counts the demo's work items that did not make it, where a work item made it
exactly when (1) its status is `merged`, (2) every file its task wrote is in `main`'s tree
with exactly the content the task wrote, and (3) for an agent of the conflict pair, its
changelog line is in `main`'s CHANGELOG.md. An item left `merge_conflict`, `in_progress`
or anything else counts as lost. The demo exits 0 only when work lost is 0 and every
injected fault was seen recovered.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from bosun.demo.plan import AgentPlan, Fault, FleetPlan
from bosun.demo.timeline import AgentFacts, Timeline

WORK_LOST = (
    "a work item is lost unless it is merged, every file its task wrote is in main with "
    "that exact content, and (conflict pair) its changelog line is in main's CHANGELOG.md"
)


@dataclass
class FaultCheck:
    fault: str
    agents: list[str]
    recovered: bool
    evidence: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Verdict:
    ok: bool = True
    reasons: list[str] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.ok = False
        self.reasons.append(reason)


def main_files(repo: Path) -> dict[str, str]:
    """Every file in main's tree (the demo's sample is small)."""
    data = subprocess.run(
        ["git", "archive", "--format=tar", "main"], cwd=repo, capture_output=True, check=True
    ).stdout
    files = {}
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                handle = tar.extractfile(member)
                if handle is not None:
                    files[member.name] = handle.read().decode("utf-8", "replace")
    return files


def run_main_tests(repo: Path, command: str) -> tuple[bool, str]:
    """The sample's tests on a fresh export of main."""
    with tempfile.TemporaryDirectory(prefix="bosun-demo-main-") as tmp:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", "main"], cwd=repo, capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        out = subprocess.run(
            ["/bin/sh", "-c", command],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
    lines = (out.stderr + out.stdout).strip().splitlines()
    ran = next((line for line in lines if line.startswith("Ran ")), lines[-1] if lines else "")
    return out.returncode == 0, ran


def lost_work(agent: AgentPlan, facts: AgentFacts, files: dict[str, str]) -> str | None:
    """Why this agent's work item is lost, or None when it is all in main."""
    if facts.work_status != "merged":
        return f"{facts.work_id or 'its work item'} is {facts.work_status}, not merged"
    for path, content in agent.files().items():
        if files.get(path) != content:
            return f"{path} is {'missing from' if path not in files else 'different in'} main"
    if agent.conflicting and agent.feature.changelog_line not in files.get("CHANGELOG.md", ""):
        return f"its changelog line {agent.feature.changelog_line.strip()!r} is not in main"
    return None


def check_faults(plan: FleetPlan, timeline: Timeline, actors: dict[str, Any]) -> list[FaultCheck]:
    checks = []
    for fault in plan.faults:
        agents = plan.with_fault(fault)
        facts = [timeline.agents[a.ref] for a in agents]
        refs = [a.ref for a in agents]
        checks.append(FaultCheck(str(fault), refs, *_recovered(fault, facts, timeline, actors)))
    return checks


_CONDITION = {Fault.CRASH: "crashed", Fault.HANG: "stalled", Fault.CONTEXT: "context_exhausted"}


def _recovered(
    fault: Fault, facts: list[AgentFacts], timeline: Timeline, actors: dict[str, Any]
) -> tuple[bool, str]:
    if fault in _CONDITION:
        condition = _CONDITION[fault]
        done = [r for f in facts for r in f.recoveries if r.condition == condition and r.final]
        if done:
            return True, done[0].describe()
        seen = [r.describe() for f in facts for r in f.recoveries if r.condition == condition]
        return False, "; ".join(seen) or f"the supervisor never reported {condition}"
    if fault == Fault.SWALLOW:
        swallowed = sum(f.swallowed_enters for f in facts)
        delivered = all(m.delivered is not None for m in actors.get("messengers", []))
        if swallowed and delivered:
            return True, f"{swallowed} Enter(s) swallowed; delivery pressed again, note arrived"
        problems = [p for m in actors.get("messengers", []) for p in m.problems]
        return False, "; ".join(problems) or "no Enter was swallowed"
    if fault == Fault.CONFLICT:
        conflicts = sum(f.conflicts for f in facts)
        merged = all(f.work_status == "merged" for f in facts)
        text = f"{conflicts} conflict(s) handed back; both merged after a rebase"
        return (conflicts > 0 and merged), (text if merged else f"{conflicts} conflict(s)")
    if fault == Fault.CLAIM:
        statuses = [s for f in facts for s in f.commitments.values()]
        nudged = sum(f.nudged_commitments for f in facts)
        if statuses and all(s == "delivered" for s in statuses):
            how = "after the sentinel's nudge" if nudged else "before its nudge was due"
            return True, f"claim tracked as a commitment, delivered {how}"
        return False, f"commitments: {', '.join(statuses) or 'none opened'}"
    wakers = actors.get("wakers", [])
    woken = all(w.completed for w in wakers) and all(f.work_status == "merged" for f in facts)
    hops = ", ".join(h for f in facts for h in f.triggers) or "no trigger events"
    if woken:
        return True, f"thread message → trigger ({hops}) → resumed and merged"
    problems = [p for w in wakers for p in w.problems]
    return False, "; ".join(problems) or hops


def agent_rows(plan: FleetPlan, timeline: Timeline) -> list[dict[str, Any]]:
    rows = []
    for agent in plan.agents:
        f = timeline.agents[agent.ref]
        rows.append(
            {
                "identity": agent.ref,
                "feature": f"calc.{agent.feature.name}",
                "faults": [str(x) for x in agent.faults],
                "incarnations": f.incarnation,
                "recoveries": [
                    {
                        "condition": r.condition,
                        "recovered_by": r.final[1] if r.final else None,
                        "rung": r.final[0] if r.final else None,
                        "seconds": round(r.seconds, 2) if r.seconds is not None else None,
                        "rungs": [
                            {"rung": n + 1, "strategy": s, "outcome": o} for n, s, o in r.rungs
                        ],
                    }
                    for r in f.recoveries
                ],
                "swallowed_enters": f.swallowed_enters,
                "commitments": dict(f.commitments),
                "triggers": list(f.triggers),
                "conflicts": f.conflicts,
                "merges": f.merges,
                "work_id": f.work_id,
                "work_status": f.work_status,
            }
        )
    return rows


def build_verdict(
    plan: FleetPlan,
    timeline: Timeline,
    lost: dict[str, str],
    checks: list[FaultCheck],
    pipeline_status: str | None,
    main_tests_ok: bool,
    problems: list[str],
) -> Verdict:
    verdict = Verdict()
    for ref, why in lost.items():
        verdict.fail(f"work lost: {ref}: {why}")
    for check in checks:
        if not check.recovered:
            verdict.fail(f"fault {check.fault} ({', '.join(check.agents)}): {check.evidence}")
    if pipeline_status is not None and pipeline_status != "success":
        verdict.fail(f"the pipeline ended {pipeline_status}")
    if not main_tests_ok:
        verdict.fail("the sample's tests fail on main")
    if timeline.escalations:
        verdict.fail(f"{timeline.escalations} escalation(s): the ladder gave up on an agent")
    for agent in plan.agents:
        if timeline.agents[agent.ref].quarantined:
            verdict.fail(f"{agent.ref} was quarantined")
    for problem in problems:
        verdict.fail(problem)
    return verdict
