"""Supervisor benchmark: `bosun supervise` as a real process over sim agents in real tmux.

    .venv/bin/python bench/supervisor_bench.py [--kills 50] [--agents 50] [--idle-seconds 120]
    .venv/bin/python bench/supervisor_bench.py --quick      # CI: 10 kills, 5 agents, 15 s

Measures
- kill -9 of an agent's process → its next incarnation running and primed with its hook (the
  new session's transcript shows the pinned work item), p50/p99;
- `bosun handoff` → the successor session running and primed with the handoff note, p50/p99;
- stall detection latency: how long after `stall_after` of silence the stall is detected;
- the supervisor's CPU (% of one core; its own and with the tmux clients it runs) and RSS
  with N idle sim agents over a window.
Restart limits are relaxed for the kill loop (no quarantine, no backoff) so every kill
measures the detection and restart path itself.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Figure, markdown_table, median, percentile, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLK = os.sysconf("SC_CLK_TCK")


def task(steps: list[dict[str, Any]]) -> str:
    return "```bosun-task\n" + json.dumps({"steps": steps}) + "\n```\n"


class Bench:
    def __init__(self, root: Path, socket: str, extra: dict[str, str]) -> None:
        self.root = root
        self.socket = socket
        self.env = {
            **os.environ,
            "BOSUN_HOME": str(root),
            "BOSUN_RUNTIME_TMUX_SOCKET": socket,
            **extra,
        }
        self.env.pop("BOSUN_IDENTITY", None)
        self.supervisor: subprocess.Popen[bytes] | None = None
        from bosun.core.context import open_project

        self.ctx = open_project(root, env=self.env)

    def ok(self, *args: str) -> Any:
        out = subprocess.run(
            [sys.executable, "-m", "bosun", *args, "--json"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise SystemExit(f"bosun {' '.join(args)} failed: {out.stdout}{out.stderr}")
        return json.loads(out.stdout)

    def spawn(self, name: str, work_id: str, start: bool = False) -> None:
        self.ok("agent", "spawn", name, "--runtime", "sim")
        self.ok("hook", "pin", "polecat", name, work_id)
        if start:
            self.ok("agent", "send", name, "start your hook")

    def supervise(self) -> None:
        log = open(self.root / ".bosun" / "logs" / "bench-supervisor.log", "ab")  # noqa: SIM115
        self.supervisor = subprocess.Popen(
            [sys.executable, "-m", "bosun", "supervise", "--no-merge-queue"],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        wait(lambda: self.ctx.events.tail(1, kind="supervisor.reconciled"), 30, "supervisor")

    def session(self, name: str) -> Any:
        from bosun.agents.sessions import current_session

        with self.ctx.store.transaction(write=False) as tx:
            return current_session(tx, "polecat", name)

    def pending(self) -> bool:
        import bosun.store.queries_supervisor  # noqa: F401

        with self.ctx.store.transaction(write=False) as tx:
            return bool(tx.all("recovery_attempts_pending"))

    def transcript(self, name: str) -> str:
        path = self.root / ".bosun" / "state" / "transcripts" / f"polecat-{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.supervisor.kill()
                self.supervisor.wait()
        from bosun.runtime.tmux_cli import remove_server

        remove_server(self.socket)
        self.ctx.close()


def wait(condition: Any, timeout: float, what: str, interval: float = 0.005) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def project(tmp: Path) -> Path:
    from bosun.core.project import init_project

    root = tmp / "repo"
    root.mkdir(parents=True)
    git = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b"}  # fmt: skip
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "commit", "-q", "--allow-empty",
                "-m", "init"]):  # fmt: skip
        subprocess.run(cmd, cwd=root, check=True, env={**os.environ, **git})
    init_project(root, env={})
    (root / ".bosun" / "logs").mkdir(parents=True, exist_ok=True)
    return root


def kill_latency(tmp: Path, kills: int) -> list[float]:
    """kill -9 → next incarnation ready and showing its pinned work item."""
    bench = Bench(
        project(tmp / "kills"),
        f"bosun-bench-{secrets.token_hex(3)}",
        {
            "BOSUN_SUPERVISOR_RECOVERY_MAX_RESTARTS": "100000",
            "BOSUN_SUPERVISOR_RECOVERY_RESTART_DELAY": "0",
            "BOSUN_SUPERVISOR_RECOVERY_STABLE_AFTER": "1",
            "BOSUN_SUPERVISOR_TICK_INTERVAL": "0.5",
        },
    )
    try:
        work_id = bench.ok("work", "create", "Bench work", "--body", "no task script")["id"]
        bench.supervise()
        bench.spawn("kb", work_id)
        samples = []
        for i in range(kills):
            session = bench.session("kb")
            primed = bench.transcript("kb").count(f"● work: {work_id}")
            time.sleep(1.2)  # past stable_after: every kill starts a fresh restart streak
            start = time.monotonic()
            os.kill(session.pid, signal.SIGKILL)

            def restarted(old: int = session.incarnation) -> bool:
                s = bench.session("kb")
                return bool(s and s.incarnation > old and s.live and s.ready_at)

            wait(restarted, 30, f"restart {i + 1}")
            wait(
                lambda n=primed: bench.transcript("kb").count(f"● work: {work_id}") > n,
                30,
                f"prime {i + 1}",
            )
            samples.append(time.monotonic() - start)
            wait(lambda: not bench.pending(), 30, "the attempt to settle")
        return samples
    finally:
        bench.close()


def handoff_latency(tmp: Path, rounds: int) -> list[float]:
    """`bosun handoff --note N` → the successor primed with the note (its transcript); one
    agent per handoff (a second handoff waits for the first one's verification)."""
    bench = Bench(project(tmp / "handoffs"), f"bosun-bench-{secrets.token_hex(3)}", {})
    try:
        bench.supervise()
        samples = []
        for i in range(rounds):
            name, note = f"hb{i}", f"round {i}: pick up the review comments"
            work_id = bench.ok("work", "create", f"Handed {i}", "--body", "no task script")["id"]
            bench.spawn(name, work_id)
            start = time.monotonic()
            bench.ok("handoff", "polecat", name, "--note", note)
            wait(lambda n=note, a=name: f"● resumption: {n}" in bench.transcript(a), 60, name)
            samples.append(time.monotonic() - start)
        return samples
    finally:
        bench.close()


def stall_latency(tmp: Path, agents: int, stall_after: float) -> list[float]:
    """Seconds between `stall_after` of silence and the stall's detection (per agent)."""
    bench = Bench(
        project(tmp / "stalls"),
        f"bosun-bench-{secrets.token_hex(3)}",
        {"BOSUN_SUPERVISOR_STALL_AFTER": str(stall_after)},
    )
    try:
        bench.supervise()
        for i in range(agents):
            body = task([{"phase": "executing"}, {"work": 3600}])
            work_id = bench.ok("work", "create", f"Stall {i}", "--body", body)["id"]
            bench.spawn(f"st{i}", work_id, start=True)
        events = wait(
            lambda: (lambda found: found if len(found) >= agents else None)(
                bench.ctx.events.tail(1000, kind="supervisor.stalled_detected")
            ),
            stall_after * 3 + 60,
            "every stall",
        )
        return [e.data["quiet_for_s"] - e.data["stall_after"] for e in events]
    finally:
        bench.close()


def idle_cost(tmp: Path, agents: int, seconds: float) -> dict[str, float]:
    bench = Bench(project(tmp / "idle"), f"bosun-bench-{secrets.token_hex(3)}", {})
    try:
        bench.supervise()
        assert bench.supervisor is not None
        for i in range(agents):
            bench.ok("agent", "spawn", f"idle{i}", "--runtime", "sim")
        pid = bench.supervisor.pid
        time.sleep(5)  # let the first looks at every new screen pass
        before, start = _cpu(pid), time.monotonic()
        rss = []
        while time.monotonic() - start < seconds:
            rss.append(_rss_mb(pid))
            time.sleep(1)
        after, elapsed = _cpu(pid), time.monotonic() - start
        own = (after[0] - before[0]) / elapsed * 100
        total = (after[0] + after[1] - before[0] - before[1]) / elapsed * 100
        return {"own_cpu": own, "total_cpu": total, "rss_max": max(rss), "rss_mean": median(rss)}
    finally:
        bench.close()


def _cpu(pid: int) -> tuple[float, float]:
    """(own utime+stime, reaped children's cutime+cstime) in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime) / CLK, (cutime + cstime) / CLK


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--handoffs", type=int, default=10)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--idle-seconds", type=float, default=120.0)
    parser.add_argument("--stall-agents", type=int, default=5)
    parser.add_argument("--stall-after", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="short run for CI")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if args.quick:
        args.kills, args.agents, args.idle_seconds, args.stall_agents = 10, 5, 15.0, 2
        args.handoffs = 3
    with tempfile.TemporaryDirectory(prefix="bosun-sup-bench-") as raw:
        tmp = Path(raw)
        kills = kill_latency(tmp, args.kills)
        handoffs = handoff_latency(tmp, args.handoffs)
        stalls = stall_latency(tmp, args.stall_agents, args.stall_after)
        idle = idle_cost(tmp, args.agents, args.idle_seconds)
    rows = [
        [
            f"kill -9 → new session ready and primed ({len(kills)} kills)",
            f"p50 {median(kills):.3f} s, p99 {percentile(kills, 99):.3f} s, max {max(kills):.3f} s",
            "p50 < 1 s, p99 < 2 s",
        ],
        [
            f"handoff → successor primed with the note ({len(handoffs)} handoffs)",
            f"p50 {median(handoffs):.3f} s, p99 {percentile(handoffs, 99):.3f} s",
            "< 5 s",
        ],
        [
            f"stall detected after stall_after = {args.stall_after:g} s ({len(stalls)} agents)",
            f"+{median(stalls):.3f} s median, +{max(stalls):.3f} s max",
            "within a tick + a look interval",
        ],
        [
            f"supervisor CPU, {args.agents} idle sim agents, {args.idle_seconds:g} s",
            f"{idle['own_cpu']:.2f} % own, {idle['total_cpu']:.2f} % with its tmux clients",
            "< 3 % of one core",
        ],
        [
            "supervisor RSS",
            f"{idle['rss_max']:.1f} MB max ({idle['rss_mean']:.1f} MB median)",
            "< 120 MB",
        ],
    ]
    table = markdown_table(["measure", "result", "target"], rows)
    print(table)
    if not args.no_write:
        command = "python bench/supervisor_bench.py" + (" --quick" if args.quick else "")
        write_section(
            "supervisor",
            "Supervisor: crash → primed restart, stall detection, idle cost",
            command,
            table
            + "\n\nDefaults except: restart limits relaxed in the kill loop (no quarantine, no "
            "backoff), `supervisor.tick_interval = 0.5 s` there; exits are seen by pidfd, not "
            "by the tick. CPU counts the supervisor process and, separately, the tmux clients "
            "it runs (reaped children).",
            summary=[
                Figure(
                    f"kill -9 → primed restart p50 ({len(kills)} kills)", median(kills), "s", "< 1"
                ),
                Figure("kill -9 → primed restart p99", percentile(kills, 99), "s", "< 2"),
                Figure("handoff → successor primed, p99", percentile(handoffs, 99), "s", "< 5"),
                Figure(
                    f"stall detection beyond stall_after ({args.stall_after:g} s), median",
                    median(stalls),
                    "s",
                ),
                Figure(
                    f"supervisor CPU, {args.agents} idle sim agents", idle["own_cpu"], "%", "< 3"
                ),
                Figure("supervisor RSS, max", idle["rss_max"], "MB", "< 120"),
            ],
            quick=args.quick,
        )


if __name__ == "__main__":
    main()
