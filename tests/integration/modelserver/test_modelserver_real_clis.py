"""The real agent CLIs (Claude Code, Codex, Gemini CLI) run headless against the model server.

The script makes each CLI run its own shell tool to write a file and answer with text; the
session is then resumed, and the resumed conversation continues at turn 3.
Install the CLIs with scripts/install-agent-clis.sh. A missing CLI skips its test, except
under CI=true, where it fails. The test ids carry each CLI's version.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent_clis import cli_version, find_cli
from bosun.runtime.modelserver import ModelServer, parse_script

FINAL = "The scripted work is done."
RESUMED = "Resumed at the third turn."
PROMPTS = {False: "Write the proof file.", True: "Go on."}
SCRIPT = f"""
[[turn]]
text = "I will write the proof file."
shell = "echo written-by-the-script > proof.txt"

[[turn]]
text = "{FINAL}"

[[turn]]
text = "{RESUMED}"
"""


@dataclass(frozen=True)
class Cli:
    tool: str
    binary: str | None
    version: str


CLIS = [Cli(t, b, cli_version(b)) for t in ("claude", "codex", "gemini") for b in [find_cli(t)]]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def _run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 240) -> Run:
    """Run a CLI in its own process group; the whole group is killed if it outlives us."""
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"{argv[0]} timed out after {timeout}s\n{stdout[-2000:]}\n{stderr[-2000:]}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return Run(proc.returncode, stdout, stderr)


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer(parse_script(SCRIPT)) as running:
        yield running


def _base_env(home: Path, binary: str) -> dict[str, str]:
    node = shutil.which("node")
    dirs = (
        [str(Path(binary).parent)]
        + ([str(Path(node).parent)] if node else [])
        + ["/usr/local/bin", "/usr/bin", "/bin"]
    )
    return {
        "PATH": os.pathsep.join(dirs),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
    }


def _claude(binary: str, url: str, home: Path, work: Path, resume: str | None = None) -> Run:
    """Claude Code: -p with stream-json; resume with --resume SESSION_ID."""
    (home / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
    env = _base_env(home, binary) | {
        "ANTHROPIC_BASE_URL": url,
        "ANTHROPIC_AUTH_TOKEN": "scripted",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
    }
    argv = [binary, "-p", PROMPTS[resume is not None], "--output-format", "stream-json"]
    argv += ["--verbose", "--allowedTools", "Bash"] + (["--resume", resume] if resume else [])
    return _run(argv, env, work)


def _codex(binary: str, url: str, home: Path, work: Path, resume: str | None = None) -> Run:
    """Codex: exec --json with a local Responses provider; resume with `exec resume ID`."""
    codex_home = home / ".codex"
    codex_home.mkdir(exist_ok=True)
    env = _base_env(home, binary) | {"CODEX_HOME": str(codex_home), "LOCAL_KEY": "scripted"}
    provider = f'{{name="local",base_url="{url}/v1",wire_api="responses",env_key="LOCAL_KEY"}}'
    argv = [binary, "exec", "--json", "--skip-git-repo-check", "-s", "workspace-write"]
    argv += ["-c", "model_provider=local", "-c", f"model_providers.local={provider}"]
    argv += ["-m", "scripted"] + (["resume", resume] if resume else [])
    return _run([*argv, PROMPTS[resume is not None]], env, work)


def _gemini(binary: str, url: str, home: Path, work: Path, resume: str | None = None) -> Run:
    """Gemini CLI: -p with stream-json and --yolo; resume with --resume latest."""
    (home / ".gemini").mkdir(exist_ok=True)
    settings = {"security": {"auth": {"selectedType": "gemini-api-key"}}}
    (home / ".gemini" / "settings.json").write_text(json.dumps(settings))
    env = _base_env(home, binary) | {
        "GOOGLE_GEMINI_BASE_URL": url,
        "GEMINI_API_KEY": "scripted",
        "GEMINI_CLI_TRUST_WORKSPACE": "true",
    }
    argv = [binary, "-p", PROMPTS[resume is not None], "--yolo", "-m", "gemini-2.5-flash"]
    argv += ["--output-format", "stream-json"] + (["--resume", "latest"] if resume else [])
    return _run(argv, env, work)


def _session_id(tool: str, stdout: str) -> str:
    """The session id from the first event: Claude `session_id`, Codex `thread_id`."""
    first = json.loads(stdout.splitlines()[0])
    return str(first.get("session_id") or first.get("thread_id"))


def _final_text(tool: str, stdout: str) -> str:
    """The answer a CLI printed last, read from its JSON event stream."""
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    if tool == "claude":  # stream-json: ... {"type": "result", "result": TEXT}
        return str(next(e["result"] for e in events if e.get("type") == "result"))
    if (
        tool == "codex"
    ):  # exec --json: {"type": "item.completed", "item": {"type": "agent_message"}}
        items = [e["item"] for e in events if e.get("type") == "item.completed"]
        return str([i["text"] for i in items if i.get("type") == "agent_message"][-1])
    # gemini stream-json: assistant "message" events with "delta": true after the last tool
    last_tool = max((i for i, e in enumerate(events) if e.get("type") == "tool_result"), default=-1)
    return "".join(
        e["content"]
        for e in events[last_tool + 1 :]
        if e.get("type") == "message" and e.get("role") == "assistant"
    )


RUNNERS: dict[str, Callable[..., Run]] = {
    "claude": _claude,
    "codex": _codex,
    "gemini": _gemini,
}
EXPECTED_API = {"claude": "anthropic", "codex": "responses", "gemini": "gemini"}


def _require(cli: Cli) -> str:
    """The CLI's binary; a missing one skips, or fails under CI=true."""
    if cli.binary is None:
        message = f"{cli.tool} is not installed (run scripts/install-agent-clis.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; it is required under CI=true")
        pytest.skip(message)
    return cli.binary


def _dirs(tmp_path: Path) -> tuple[Path, Path]:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    return home, work


@pytest.mark.slow
@pytest.mark.parametrize("cli", CLIS, ids=[f"{c.tool}-{c.version}" for c in CLIS])
def test_real_cli_runs_its_shell_tool_answers_and_resumes_at_the_next_turn(
    cli: Cli,
    server: ModelServer,
    tmp_path: Path,
) -> None:
    binary = _require(cli)
    home, work = _dirs(tmp_path)

    run = RUNNERS[cli.tool](binary, server.url, home, work)

    detail = (
        f"{cli.tool} {cli.version}\nstdout:\n{run.stdout[-3000:]}\nstderr:\n{run.stderr[-3000:]}"
    )
    assert run.returncode == 0, detail
    assert (work / "proof.txt").read_text().strip() == "written-by-the-script", detail
    assert _final_text(cli.tool, run.stdout) == FINAL, detail
    scripted = [r for r in server.requests if r.get("turn") is not None]
    assert [r["turn"] for r in scripted] == [1, 2], server.requests
    assert {r["api"] for r in scripted} == {EXPECTED_API[cli.tool]}
    assert scripted[0]["reply"]["tool"] and scripted[1]["replies"] == 1
    assert all(r["status"] == 200 for r in server.requests), server.requests

    resumed = RUNNERS[cli.tool](
        cli.binary, server.url, home, work, _session_id(cli.tool, run.stdout)
    )

    detail = (
        f"{cli.tool} resume\nstdout:\n{resumed.stdout[-3000:]}\nstderr:\n{resumed.stderr[-3000:]}"
    )
    assert resumed.returncode == 0, detail
    assert _final_text(cli.tool, resumed.stdout) == RESUMED, detail
    last = [r for r in server.requests if r.get("turn") is not None][-1]
    assert (last["turn"], last["replies"], last["last_user"]) == (3, 2, PROMPTS[True])


# What each pinned CLI does when the provider fails once (see docs/agents.md).
RECOVERS = {
    ("claude", "overloaded"): True,
    ("codex", "overloaded"): True,
    ("gemini", "overloaded"): True,
    ("claude", "drop"): True,
    ("codex", "drop"): True,
    ("gemini", "drop"): False,
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("cli", "fault"),
    [(c, f) for c in CLIS for f in ("overloaded", "drop")],
    ids=[f"{c.tool}-{c.version}-{f}" for c in CLIS for f in ("overloaded", "drop")],
)
def test_real_cli_meets_a_provider_fault_once(cli: Cli, fault: str, tmp_path: Path) -> None:
    binary = _require(cli)
    home, work = _dirs(tmp_path)
    script = SCRIPT.replace('shell = "echo', f'fault = "{fault}"\nshell = "echo', 1)
    with ModelServer(parse_script(script)) as server:
        run = RUNNERS[cli.tool](binary, server.url, home, work)
    detail = f"{cli.tool} {fault}\nstdout:\n{run.stdout[-3000:]}\nstderr:\n{run.stderr[-3000:]}"
    assert server.requests[0]["fault"] == fault, server.requests
    if RECOVERS[(cli.tool, fault)]:
        assert run.returncode == 0, detail
        assert (work / "proof.txt").exists(), detail
        assert _final_text(cli.tool, run.stdout) == FINAL, detail
        assert [r["turn"] for r in server.requests if r.get("turn")] == [1, 1, 2]
    else:
        assert run.returncode != 0, detail
        assert not (work / "proof.txt").exists(), detail
