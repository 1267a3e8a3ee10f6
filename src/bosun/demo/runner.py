"""`bosun demo`, start to end: set the stage, let the fleet work through its faults while
the live view shows it, check what landed, report, and clean up (also on failure and
Ctrl-C) unless `--keep`.
"""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from bosun.base.errors import BosunError
from bosun.demo.actors import Approver, Follower, Messenger, Waker
from bosun.demo.launch import Stage, Timings, park_dormant, set_stage, spawn_fleet, start_dashboard
from bosun.demo.live import LiveView, render_report
from bosun.demo.pipeline import PipelineRun, graph_text
from bosun.demo.plan import Fault, FleetPlan
from bosun.demo.report import (
    WORK_LOST,
    agent_rows,
    build_verdict,
    check_faults,
    lost_work,
    main_files,
    run_main_tests,
)
from bosun.demo.sample import features, test_command
from bosun.demo.shell import Bosun
from bosun.demo.teardown import Cleanup, tear_down
from bosun.demo.timeline import Timeline

POLL = 0.25


@dataclass
class Options:
    plan: FleetPlan
    directory: Path | None
    keep: bool
    as_json: bool


@dataclass
class Actors:
    messengers: list[Messenger] = field(default_factory=list)
    wakers: list[Waker] = field(default_factory=list)
    follower: Follower | None = None
    approver: Approver | None = None

    def all(self) -> list[Any]:
        extra = [a for a in (self.follower, self.approver) if a is not None]
        return [*self.messengers, *self.wakers, *extra]


class Interrupted(Exception):
    pass


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


class Demo:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.plan = options.plan
        self.timings = Timings.for_mode(self.plan.quick)
        self.temporary = options.directory is None
        if options.directory is None:
            self.repo = Path(tempfile.mkdtemp(prefix="bosun-demo-")) / "calc"
        else:
            self.repo = options.directory
        self.view = LiveView(self.plan, quiet=options.as_json)
        self.bosun = Bosun(self.repo)
        self.acting = self.bosun.fork()  # the outside actors' calls, stopped first at the end
        self.timeline = Timeline.for_agents([a.ref for a in self.plan.agents])
        self.stage: Stage | None = None
        self.run: PipelineRun | None = None
        self.actors = Actors()
        self.problems: list[str] = []
        self.started = time.monotonic()
        self.began = time.monotonic()

    # -- the whole demo -------------------------------------------------------------------

    def main(self) -> tuple[int, dict[str, Any]]:
        previous = signal.signal(signal.SIGTERM, _interrupt)
        previous_int = signal.getsignal(signal.SIGINT)
        report: dict[str, Any] = {}
        cleanup: Cleanup | None = None
        try:
            with self.view:
                self.begin()
                self.watch()
            report = self.verdict()
        except (KeyboardInterrupt, Interrupted) as exc:
            self.problems.append(f"interrupted ({exc or 'Ctrl-C'}); cleaning up")
            report = self.safe_verdict()
        except BosunError as exc:
            self.problems.append(exc.message + (f" ({exc.hint})" if exc.hint else ""))
            report = self.safe_verdict()
        finally:
            self.acting.abort()
            for actor in self.actors.all():
                actor.join(10)
            if not self.options.keep:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # cleanup is not cut short
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                try:
                    cleanup = self.clean_up()
                finally:
                    signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous)
        if cleanup is not None:
            report["cleanup"] = cleanup.__dict__
            if report.get("ok") and self.temporary and not cleanup.kept:
                shutil.rmtree(self.repo.parent, ignore_errors=True)
                report["directory_removed"] = True
        else:
            report["keep"] = self.how_to_explore()
        return (0 if report.get("ok") else 1), report

    def begin(self) -> None:
        plan, say = self.plan, self.view.say
        faults = ", ".join(plan.faults) or "none"
        say(f"bosun demo: {len(plan.agents)} sim agents, faults: {faults}")
        say(f"sample project: {self.repo}")
        self.stage = set_stage(self.repo, plan, self.timings, self.bosun)
        stage = self.stage
        say(f"supervisor running (pid {stage.supervisor_pid}); tmux socket {stage.socket}")
        start_dashboard(self.stage, self.bosun)
        if self.stage.dashboard_url:
            say(f"dashboard: {self.stage.dashboard_url}")
        else:
            say(f"dashboard: not started — {self.stage.dashboard_note}")
        for agent in plan.agents:
            self.timeline.agents[agent.ref].work_id = self.stage.work_ids[agent.name]
        for agent in plan.with_fault(Fault.DORMANT):
            park_dormant(self.stage, agent, self.bosun)
        self.problems += spawn_fleet(self.stage, plan, self.bosun)
        self.start_pipeline()
        acting = self.acting
        self.actors.messengers = [Messenger(a, acting) for a in plan.with_fault(Fault.SWALLOW)]
        self.actors.wakers = [
            Waker(a, stage.work_ids[a.name], acting) for a in plan.with_fault(Fault.DORMANT)
        ]
        if plan.sentinel:
            self.actors.follower = Follower(acting, {a.ref: a.name for a in plan.agents})
        if self.run is not None:
            self.actors.approver = Approver(self.run, acting)
        self.started = time.monotonic()

    def start_pipeline(self) -> None:
        feature = features(len(self.plan.agents) + 1)[-1]
        graph = self.repo / ".bosun" / "demo-pipeline.dot"
        graph.write_text(graph_text(feature), encoding="utf-8")
        call = self.bosun.call("run", str(graph), "--detach", timeout=120)
        if not call.ok or not isinstance(call.data, dict):
            self.problems.append(f"the pipeline did not start: {call.error()}")
            return
        self.run = PipelineRun(str(call.data["run_id"]), Path(call.data["logs_root"]))
        self.view.say(f"pipeline run {self.run.run_id} started (agent → test → human gate)")

    # -- watching -------------------------------------------------------------------------

    def watch(self) -> None:
        from bosun.core.context import open_project  # lazy: CLI start-up time

        with open_project(self.repo, env=self.bosun.env) as ctx:
            while True:
                self.timeline.feed(ctx.events.since(self.timeline.last_id, limit=10_000))
                self.poke_actors()
                self.view.update(self.timeline, self.status())
                if self.finished():
                    break
                if time.monotonic() - self.started > self.timings.deadline:
                    self.problems.append(
                        f"gave up after {self.timings.deadline:.0f}s: " + "; ".join(self.pending())
                    )
                    break
                time.sleep(POLL)
            for actor in self.actors.all():
                actor.join(30)
            self.timeline.feed(ctx.events.since(self.timeline.last_id, limit=10_000))

    def refresh(self) -> None:
        """Read the events recorded since the live view last looked."""
        from bosun.core.context import open_project  # lazy: CLI start-up time

        if (self.repo / ".bosun").is_dir():
            with open_project(self.repo, env=self.bosun.env) as ctx:
                self.timeline.feed(ctx.events.since(self.timeline.last_id, limit=100_000))

    def poke_actors(self) -> None:
        for messenger in self.actors.messengers:
            facts = self.timeline.agents[messenger.agent.ref]
            messenger.poke(facts.live and facts.step is not None)
        for waker in self.actors.wakers:
            waker.poke()
        if self.actors.follower is not None:
            self.actors.follower.poke()
        if self.actors.approver is not None:
            self.actors.approver.poke()

    def pending(self) -> list[str]:
        left = [
            f"{a.ref} work {self.timeline.agents[a.ref].work_status}"
            for a in self.plan.agents
            if self.timeline.agents[a.ref].work_status != "merged"
        ]
        if self.run is not None and self.run.read_final() is None:
            left.append(f"pipeline {self.run.status}")
        left += [f"{m.name} not delivered" for m in self.actors.messengers if not m.finished]
        left += [f"{w.name} not completed" for w in self.actors.wakers if not w.finished]
        open_claims = [
            ref
            for ref, f in self.timeline.agents.items()
            if any(s == "open" for s in f.commitments.values())
        ]
        left += [f"{ref} has an open commitment" for ref in open_claims]
        return left

    def finished(self) -> bool:
        return not self.pending()

    def status(self) -> dict[str, str]:
        merged = sum(
            1 for a in self.plan.agents if self.timeline.agents[a.ref].work_status == "merged"
        )
        return {
            "merged": f"{merged}/{len(self.plan.agents)}",
            "pipeline": self.run.status if self.run else "not started",
            "events": str(self.timeline.events),
            "elapsed": f"{time.monotonic() - self.started:.0f}s",
        }

    # -- the verdict ----------------------------------------------------------------------

    def verdict(self) -> dict[str, Any]:
        files = main_files(self.repo)
        lost = {}
        for agent in self.plan.agents:
            why = lost_work(agent, self.timeline.agents[agent.ref], files)
            if why is not None:
                lost[agent.ref] = why
        checks = check_faults(
            self.plan,
            self.timeline,
            {"messengers": self.actors.messengers, "wakers": self.actors.wakers},
        )
        tests_ok, tests = run_main_tests(self.repo, test_command())
        pipeline_status = self.run.status if self.run is not None else None
        verdict = build_verdict(
            self.plan, self.timeline, lost, checks, pipeline_status, tests_ok, self.problems
        )
        tested = f"{tests} ({'ok' if tests_ok else 'FAILED'})"
        return self.report(verdict.ok, verdict.reasons, lost, checks, tested)

    def safe_verdict(self) -> dict[str, Any]:
        """The report after a failure: whatever could be checked, never ok."""
        try:
            self.refresh()
            report = self.verdict()
        except Exception as exc:  # noqa: BLE001 - the failure is reported, not hidden
            report = self.report(False, [], {}, [], f"not run ({exc})")
        report["ok"] = False
        report["reasons"] = list(dict.fromkeys([*self.problems, *report["reasons"]]))
        return report

    def report(
        self,
        ok: bool,
        reasons: list[str],
        lost: dict[str, str],
        checks: list[Any],
        tests: str,
    ) -> dict[str, Any]:
        t = self.timeline
        rows = agent_rows(self.plan, t)
        stage = self.stage
        return {
            "ok": ok,
            "reasons": reasons,
            "directory": str(self.repo),
            "dashboard": stage.dashboard_url if stage else None,
            "dashboard_note": stage.dashboard_note if stage else "",
            "tmux_socket": stage.socket if stage else None,
            "agents": rows,
            "faults": [c.to_json() for c in checks],
            "totals": {
                "work_items": len(self.plan.agents),
                "merged": sum(1 for r in rows if r["work_status"] == "merged"),
                "work_lost": len(lost) if checks or lost else len(self.plan.agents),
                "lost": lost,
                "landed": t.merged_requests,
                "conflicts": t.conflicts,
                "recoveries": sum(len(r["recoveries"]) for r in rows),
                "escalations": t.escalations,
            },
            "work_lost_definition": WORK_LOST,
            "main_tests": tests,
            "pipeline": {
                "run_id": self.run.run_id if self.run else None,
                "status": self.run.status if self.run else "not started",
                "nodes": self.run.completed_nodes() if self.run else [],
            },
            "events": t.events,
            "seconds": round(time.monotonic() - self.began, 1),
        }

    # -- the end --------------------------------------------------------------------------

    def clean_up(self) -> Cleanup:
        socket = self.stage.socket if self.stage else None
        return tear_down(self.bosun, socket, self.run)

    def how_to_explore(self) -> dict[str, Any]:
        socket = self.stage.socket if self.stage else "?"
        pids = [p.pid for p in self.bosun.background if p.poll() is None]
        return {
            "explore": [
                f"cd {self.repo}",
                "bosun status",
                "bosun agent list",
                "bosun events --limit 50",
                "bosun merge-queue list",
                f"tmux -L {socket} attach",
            ],
            "stop": [
                f"cd {self.repo} && bosun stop",
                f"tmux -L {socket} kill-server",
                *([f"kill {' '.join(map(str, pids))}   # the dashboard"] if pids else []),
            ],
        }


def run_demo(options: Options) -> int:
    """Run the demo, print the report (table or JSON); returns the exit code."""
    code, report = Demo(options).main()
    if options.as_json:
        print(json.dumps(report, sort_keys=True))
        return code
    render_report(report)
    keep = report.get("keep")
    if keep:
        print("\nThe fleet is still running. Explore it:")
        print("\n".join(f"  {line}" for line in keep["explore"]))
        print("Stop everything:")
        print("\n".join(f"  {line}" for line in keep["stop"]))
    return code
