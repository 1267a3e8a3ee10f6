"""Real agent CLIs against the scripted model server: start-up, resume, supervisor cost.

    .venv/bin/python bench/realcli_bench.py [--samples 20] [--interactive-samples 10]
        [--resume-samples 5] [--idle-agents 20] [--idle-seconds 60]
    .venv/bin/python bench/realcli_bench.py --quick   # CI: 2 samples, 2 idle agents, 5 s

Measures, for each installed CLI (Claude Code, Codex, Gemini CLI; scripts/install-agent-clis.sh):
- spawn → first model request: from the process start to the request's arrival at the
  model server (its request log), p50/p99 — headless (print mode, the command a headless
  pipeline node runs), and interactive (`bosun agent spawn --prompt` in tmux; measured from
  the session's recorded start);
- kill -9 → the resumed conversation's first request, p50: a headless run is killed (its
  whole process group) while its shell tool runs, then resumed with the preset's
  headless_resume_args and the session id it printed;
- the supervisor's CPU with N real Claude Code sessions idle at their prompts, against N
  sim agents, measured one after the other in the same run.
Every CLI runs with a temporary HOME; every process group, tmux server and directory is
removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Figure, markdown_table, percentile, write_section  # noqa: E402
from supervisor_bench import Bench, _cpu, project  # noqa: E402

from bosun.runtime.modelserver import ModelServer, parse_script  # noqa: E402
from bosun.runtime.modelserver.clients import (  # noqa: E402
    TOOLS,
    clean_env,
    find_cli,
    prepare_client,
)
from bosun.runtime.presets import load_presets  # noqa: E402

MODELS = {"claude": "claude-sonnet-4-5", "codex": "gpt-5", "gemini": "gemini-2.5-flash"}
SCRIPT = """
[[turn]]
text = "Working on it."
shell = "sleep 60"

[[turn]]
text = "Resumed."
"""
FIRST_REQUEST_TIMEOUT = 90.0  # --quick: 20 s


def _arrival(record: dict[str, Any]) -> float:
    return datetime.datetime.fromisoformat(record["time"]).timestamp()


def _iso(text: str) -> float:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Headless:
    """One CLI's headless runs against a shared server, each its own process group."""

    def __init__(self, tool: str, binary: str, server: ModelServer, tmp: Path) -> None:
        self.tool, self.server = tool, server
        self.home, self.work = tmp / f"home-{tool}", tmp / f"work-{tool}"
        self.work.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(self.work)], check=True)
        self.env = clean_env(self.home, [binary]) | prepare_client(tool, server.url, self.home)
        self.preset = load_presets()[tool]
        self.binary = binary

    def start(
        self, prompt: str, resume: str | None = None
    ) -> tuple[subprocess.Popen[bytes], float, dict[str, str]]:
        argv = self.preset.headless_command(prompt, model=MODELS[self.tool], resume_id=resume)
        seen: dict[str, str] = {}
        started = time.time()
        proc = subprocess.Popen(
            [self.binary, *argv[1:]],
            cwd=self.work,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        threading.Thread(target=self._read, args=(proc, seen), daemon=True).start()
        return proc, started, seen

    @staticmethod
    def _read(proc: subprocess.Popen[bytes], seen: dict[str, str]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            with contextlib.suppress(ValueError):
                event = json.loads(raw)
                sid = event.get("session_id") or event.get("thread_id")
                if sid and "session" not in seen:
                    seen["session"] = str(sid)

    def next_request(self, after: int, proc: subprocess.Popen[bytes]) -> dict[str, Any] | None:
        deadline = time.monotonic() + FIRST_REQUEST_TIMEOUT
        while time.monotonic() < deadline:
            found = [r for r in self.server.requests[after:] if not r.get("side")]
            if found:
                return found[0]
            if proc.poll() is not None:
                time.sleep(0.2)
                found = [r for r in self.server.requests[after:] if not r.get("side")]
                return found[0] if found else None
            time.sleep(0.01)
        return None

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def spawn_sample(self) -> float | None:
        mark = len(self.server.requests)
        proc, started, _ = self.start("Do the work.")
        try:
            request = self.next_request(mark, proc)
        finally:
            self.kill(proc)
        return None if request is None else _arrival(request) - started

    def resume_sample(self) -> float | None:
        mark = len(self.server.requests)
        proc, _, seen = self.start("Do the work.")
        try:
            if self.next_request(mark, proc) is None:
                return None
            time.sleep(1.5)  # the scripted `sleep 60` tool is running: kill mid-work
            session = seen.get("session")
        finally:
            self.kill(proc)
        if not session:
            return None
        mark = len(self.server.requests)
        proc, started, _ = self.start("Go on.", resume=session)
        try:
            request = self.next_request(mark, proc)
        finally:
            self.kill(proc)
        if request is None or not request.get("replies"):
            return None  # not the resumed conversation
        return _arrival(request) - started


def interactive_samples(tool: str, binary: str, tmp: Path, samples: int) -> tuple[list[float], str]:
    """`bosun agent spawn --prompt` in tmux: session start → first request. Stops at the
    first spawn that fails or does not reach the model, and says why."""
    times: list[float] = []
    note = ""
    with ModelServer(parse_script(SCRIPT)) as server:
        bench, _ = _fleet(tmp / f"interactive-{tool}", tool, binary, server)
        try:
            for i in range(samples):
                mark = len(server.requests)
                try:
                    out = bench.ok(
                        "agent", "spawn", f"{tool}{i}", "--runtime", tool, "--prompt", "Go."
                    )
                except SystemExit as exc:
                    said = str(exc).split('"message": "', 1)[-1][:160].replace("|", "/")
                    note = "spawn failed: " + said
                    break
                deadline = time.monotonic() + FIRST_REQUEST_TIMEOUT
                found: list[dict[str, Any]] = []
                while not found and time.monotonic() < deadline:
                    found = [r for r in server.requests[mark:] if not r.get("side")]
                    time.sleep(0.02)
                bench.ok("agent", "stop", f"{tool}{i}")
                if not found:
                    note = f"no model request within {FIRST_REQUEST_TIMEOUT:g} s of the spawn"
                    break
                times.append(_arrival(found[0]) - _iso(out["started_at"]))
        finally:
            bench.close()
    return times, note


def _fleet(tmp: Path, tool: str, binary: str, server: ModelServer) -> tuple[Bench, Path]:
    root = project(tmp)
    home = tmp / "home"
    extra = prepare_client(tool, server.url, home) if tool in TOOLS else {}
    path = f"{Path(binary).parent}{os.pathsep}{os.environ['PATH']}" if binary else ""
    env = {"HOME": str(home), **({"PATH": path} if path else {}), **extra}
    home.mkdir(parents=True, exist_ok=True)
    return Bench(root, f"bosun-bench-{secrets.token_hex(3)}", env), home


def idle_cpu(tmp: Path, runtime: str, binary: str, agents: int, seconds: float) -> dict[str, float]:
    """The supervisor's CPU (% of one core) with `agents` idle sessions of `runtime`."""
    with ModelServer(parse_script(SCRIPT)) as server:
        bench, _ = _fleet(tmp / f"idle-{runtime}", runtime, binary, server)
        try:
            bench.supervise()
            assert bench.supervisor is not None
            for i in range(agents):
                bench.ok("agent", "spawn", f"idle{i}", "--runtime", runtime)
            time.sleep(5)  # the first looks at every new screen
            pid = bench.supervisor.pid
            before, start = _cpu(pid), time.monotonic()
            time.sleep(seconds)
            after, elapsed = _cpu(pid), time.monotonic() - start
            live = sum(1 for i in range(agents) if (s := bench.session(f"idle{i}")) and s.live)
            return {
                "own": (after[0] - before[0]) / elapsed * 100,
                "total": (after[0] + after[1] - before[0] - before[1]) / elapsed * 100,
                "live": float(live),
            }
        finally:
            bench.close()


def reap_strays(tmp: Path) -> list[int]:
    """Kill what outlived its session from under `tmp` (Codex's interactive start leaves an
    app-server daemon, started from the temporary HOME, running after `bosun agent stop`)."""
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(tmp) in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
    return killed


def _p(values: list[float], pct: float) -> float:
    return percentile(values, pct) if values else float("nan")


def run(args: argparse.Namespace, tmp: Path) -> tuple[list[list[object]], list[Figure]]:
    rows: list[list[object]] = []
    figures: list[Figure] = []
    binaries = {tool: find_cli(tool) for tool in TOOLS}
    for tool, binary in binaries.items():
        if binary is None:
            rows.append([f"{tool}", "not installed (scripts/install-agent-clis.sh)", ""])
            continue
        with ModelServer(parse_script(SCRIPT)) as server:
            runner = Headless(tool, binary, server, tmp / "headless")
            spawn = [t for t in (runner.spawn_sample() for _ in range(args.samples)) if t]
            resume = [t for t in (runner.resume_sample() for _ in range(args.resume_samples)) if t]
        interactive, why = interactive_samples(tool, binary, tmp, args.interactive_samples)
        rows.append(
            [
                f"{tool}: spawn → first request, headless ({len(spawn)}/{args.samples})",
                f"p50 {_p(spawn, 50):.2f} s, p99 {_p(spawn, 99):.2f} s",
                "",
            ]
        )
        rows.append(
            [
                f"{tool}: spawn → first request, interactive in tmux "
                f"({len(interactive)}/{args.interactive_samples})",
                f"p50 {_p(interactive, 50):.2f} s, p99 {_p(interactive, 99):.2f} s"
                if interactive
                else why,
                "",
            ]
        )
        rows.append(
            [
                f"{tool}: kill -9 → resumed conversation's first request, headless "
                f"({len(resume)}/{args.resume_samples})",
                f"p50 {_p(resume, 50):.2f} s" if resume else "did not resume",
                "",
            ]
        )
        figures += [
            Figure(f"{tool} headless spawn → first request p50", _p(spawn, 50), "s"),
            Figure(f"{tool} headless spawn → first request p99", _p(spawn, 99), "s"),
            Figure(f"{tool} interactive spawn → first request p50", _p(interactive, 50), "s"),
            Figure(f"{tool} kill -9 → resumed first request p50", _p(resume, 50), "s"),
        ]
    if binaries["claude"] is not None:
        real = idle_cpu(tmp, "claude", binaries["claude"], args.idle_agents, args.idle_seconds)
        sim = idle_cpu(tmp, "sim", "", args.idle_agents, args.idle_seconds)
        for name, r in (("real Claude Code", real), ("sim", sim)):
            rows.append(
                [
                    f"supervisor CPU, {args.idle_agents} idle {name} sessions "
                    f"({r['live']:.0f} live), {args.idle_seconds:g} s",
                    f"{r['own']:.2f} % own, {r['total']:.2f} % with its tmux clients",
                    "< 3 % of one core",
                ]
            )
        figures += [
            Figure(
                f"supervisor CPU, {args.idle_agents} idle Claude Code sessions",
                real["own"],
                "%",
                "< 3",
            ),
            Figure(f"supervisor CPU, {args.idle_agents} idle sim agents", sim["own"], "%", "< 3"),
        ]
    return rows, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--resume-samples", type=int, default=5)
    parser.add_argument("--interactive-samples", type=int, default=10)
    parser.add_argument("--idle-agents", type=int, default=20)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="short run for CI")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if args.quick:
        global FIRST_REQUEST_TIMEOUT
        FIRST_REQUEST_TIMEOUT = 20.0
        args.samples, args.resume_samples, args.interactive_samples = 2, 1, 1
        args.idle_agents, args.idle_seconds = 2, 5.0
    with tempfile.TemporaryDirectory(prefix="bosun-realcli-bench-") as raw:
        try:
            rows, figures = run(args, Path(raw))
        finally:
            strays = reap_strays(Path(raw))
    if strays:
        print(f"killed {len(strays)} processes that outlived their sessions: {strays}")
    table = markdown_table(["measure", "result", "target"], rows)
    print(table)
    if not args.no_write:
        command = "python bench/realcli_bench.py" + (" --quick" if args.quick else "")
        write_section(
            "realcli",
            "Real agent CLIs: start-up, resume, supervisor cost",
            command,
            table + "\n\nAgainst `bosun model serve`'s server in-process (loopback), pinned CLI "
            "versions (scripts/install-agent-clis.sh). Headless: the command a headless "
            "pipeline node runs, timed from Popen. Interactive: `bosun agent spawn --prompt` "
            "in tmux, timed from the session's recorded start. Resume: the run is killed "
            "(SIGKILL to its process group) while its scripted shell tool runs.",
            summary=figures,
            quick=args.quick,
        )


if __name__ == "__main__":
    main()
