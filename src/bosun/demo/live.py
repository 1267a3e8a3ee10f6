"""Showing the demo: a Rich live table while the fleet works (plain lines when stdout is
not a terminal), and the final report table.

The live view shows state, not logs: one row per agent (faults, session, phase and step,
recoveries, merges) and one line of totals. Without a terminal, each change of an agent's
summary is printed once as a plain line.
"""

from __future__ import annotations

import sys
from typing import Any

from bosun.demo.plan import FleetPlan
from bosun.demo.timeline import AgentFacts, Timeline


def agent_state(facts: AgentFacts, dormant: bool) -> str:
    if facts.incarnation == 0:
        return "not started"
    if not facts.live:
        if dormant and facts.incarnation <= 1:
            return "dormant"
        return "ended" if facts.work_status == "merged" else "down"
    if facts.step is not None and facts.phase == "executing":
        return f"working {facts.step[0]}/{facts.step[1]}"
    return {"merged": "done", "merge_ready": "in queue"}.get(facts.phase, facts.phase)


def recovery_text(facts: AgentFacts) -> str:
    parts = [r.describe() for r in facts.recoveries]
    if facts.swallowed_enters:
        parts.append(f"Enter re-pressed ×{facts.swallowed_enters}")
    if facts.commitments:
        parts.append("claim " + ",".join(sorted(set(facts.commitments.values()))))
    if facts.triggers:
        parts.append("woken by trigger")
    if facts.conflicts:
        parts.append(f"conflict ×{facts.conflicts} → rebased")
    return "; ".join(parts) or "-"


def summary_line(facts: AgentFacts, dormant: bool) -> str:
    return (
        f"{facts.ref}: {agent_state(facts, dormant)} · work {facts.work_status} · "
        f"{recovery_text(facts)} · merges {facts.merges}"
    )


class LiveView:
    """`with LiveView(...) as view: view.update(...)`; nothing at all in JSON mode."""

    def __init__(self, plan: FleetPlan, quiet: bool) -> None:
        self.plan = plan
        self.quiet = quiet
        self.tty = sys.stdout.isatty() and not quiet
        self.live: Any = None
        self.printed: dict[str, str] = {}

    def __enter__(self) -> LiveView:
        if self.tty:
            from rich.console import Console  # lazy: CLI start-up time
            from rich.live import Live  # lazy: CLI start-up time

            self.live = Live(console=Console(), refresh_per_second=4, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)
            self.live = None

    def say(self, line: str) -> None:
        if self.quiet:
            return
        if self.live is not None:
            self.live.console.print(line)
        else:
            print(line, flush=True)

    def update(self, timeline: Timeline, status: dict[str, str]) -> None:
        if self.quiet:
            return
        if self.live is not None:
            self.live.update(self._table(timeline, status))
            return
        for agent in self.plan.agents:
            line = summary_line(timeline.agents[agent.ref], agent.dormant)
            if self.printed.get(agent.ref) != line:
                self.printed[agent.ref] = line
                print(line, flush=True)
        steady = {k: v for k, v in status.items() if k not in ("events", "elapsed")}
        totals = " · ".join(f"{k} {v}" for k, v in steady.items())
        if self.printed.get("*") != totals:
            self.printed["*"] = totals
            print(totals, flush=True)

    def _table(self, timeline: Timeline, status: dict[str, str]) -> Any:
        from rich.table import Table  # lazy: CLI start-up time

        table = Table(title="bosun demo — the fleet", expand=False)
        for column in ("agent", "faults", "session", "state", "work", "recoveries", "merges"):
            table.add_column(column)
        for agent in self.plan.agents:
            f = timeline.agents[agent.ref]
            table.add_row(
                agent.ref,
                ",".join(agent.faults) or "-",
                f"#{f.incarnation}" if f.incarnation else "-",
                agent_state(f, agent.dormant),
                f.work_status,
                recovery_text(f),
                str(f.merges),
            )
        table.caption = " · ".join(f"{k} {v}" for k, v in status.items())
        return table


def render_report(report: dict[str, Any]) -> None:
    """The final table (Rich on a terminal, plain text otherwise)."""
    from rich.console import Console  # lazy: CLI start-up time
    from rich.table import Table  # lazy: CLI start-up time

    tty = sys.stdout.isatty()
    console = Console(force_terminal=tty, width=None if tty else 120)
    table = Table(title="bosun demo — report")
    for column in ("agent", "faults injected", "recoveries (rung, time)", "merges", "work"):
        table.add_column(column)
    for row in report["agents"]:
        recoveries = [
            f"{r['condition']} → {r['recovered_by']} (rung {r['rung']}, {r['seconds']}s)"
            if r["recovered_by"]
            else f"{r['condition']}: not recovered"
            for r in row["recoveries"]
        ]
        if row["swallowed_enters"]:
            recoveries.append(f"swallowed Enter → pressed again ×{row['swallowed_enters']}")
        if row["commitments"]:
            recoveries.append("claim → " + ", ".join(sorted(set(row["commitments"].values()))))
        if row["triggers"]:
            recoveries.append("dormant → woken by trigger")
        if row["conflicts"]:
            recoveries.append(f"conflict ×{row['conflicts']} → rebased, merged")
        table.add_row(
            row["identity"],
            ", ".join(row["faults"]) or "-",
            "\n".join(recoveries) or "-",
            str(row["merges"]),
            row["work_status"],
        )
    console.print(table)
    totals = report["totals"]
    pipeline = report["pipeline"]
    lines = [
        f"work items merged: {totals['merged']}/{totals['work_items']}",
        f"work lost: {totals['work_lost']}   ({report['work_lost_definition']})",
        f"main's tests: {report['main_tests']}",
        f"pipeline: {pipeline['status']}" + _run_detail(pipeline),
        f"recoveries: {totals['recoveries']}, escalations: {totals['escalations']}, "
        f"merge requests landed: {totals['landed']}, conflicts: {totals['conflicts']}",
        f"events recorded: {report['events']} in {report['seconds']:.0f}s",
    ]
    for fault in report["faults"]:
        mark = "ok  " if fault["recovered"] else "FAIL"
        who = ", ".join(fault["agents"])
        lines.append(f"  {mark} {fault['fault']:<9} {who}: {fault['evidence']}")
    for kept in (report.get("cleanup") or {}).get("kept", []):
        lines.append(f"kept (holds work not in main): {kept}")
    if report.get("directory_removed"):
        lines.append(f"sample project {report['directory']} removed (pass --dir to keep it)")
    elif not report.get("keep"):
        lines.append(f"sample project kept in {report['directory']}")
    for line in lines:
        console.print(line, highlight=False, markup=False)
    if report["ok"]:
        console.print("every expectation held", highlight=False)
    else:
        console.print("FAILED:\n  " + "\n  ".join(report["reasons"]), highlight=False, markup=False)


def _run_detail(pipeline: dict[str, Any]) -> str:
    if not pipeline["run_id"]:
        return ""
    return f" (run {pipeline['run_id']}: {' → '.join(pipeline['nodes']) or 'no node done'})"
