"""The real agent CLIs as supervised agents: `bosun agent spawn --runtime claude|codex|gemini
--work ID` in real tmux, driven by the scripted model server, with `bosun supervise` and its
merge queue, real git and real SQLite.

The script makes the agent run bosun's hook commands, write a file, commit, move to
`merge_ready` and signal MERGE_READY; the merge queue lands it on main. No human types
anything: the first prompt comes from the hook. A missing CLI skips, except under CI=true.
The test ids carry each CLI's version; a version other than the preset's `tested_version`
fails (a new CLI version must show up as a failing test, never as a silent stall).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from realcli_rig import FAST, TOOLS, FleetRig, cli_environment, require

from agent_clis import cli_version, find_cli
from bosun.runtime.modelserver import ModelServer, parse_script
from bosun.runtime.presets import get_preset
from waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.tmux]

# Gemini CLI 0.61's allow-list cannot allow git and bosun in interactive mode (any
# --allowed-tools stops its -i prompt from running), so its agent runs with autonomy `full`.
AUTONOMY = {"claude": "allowlist", "codex": "allowlist", "gemini": "full"}
CODEX_SPLASH = pytest.mark.xfail(
    reason="interactive Codex 0.171 spawned by bosun stays on its splash screen and sends no "
    "request (run by hand in tmux with the same flags it works): not diagnosed yet",
    strict=False,
)
CLIS = [
    pytest.param(
        tool,
        binary,
        id=f"{tool}-{cli_version(binary)}",
        marks=[CODEX_SPLASH] if tool == "codex" else [],
    )
    for tool, binary in ((t, find_cli(t)) for t in TOOLS)
]
NAME = "toast"
REF = f"polecat/{NAME}"
PHASES = f"bosun hook update-phase polecat {NAME}"
DONE = (
    f"{PHASES} impl_complete && {PHASES} merge_ready && "
    f"bosun signal send refinery/merge-queue MERGE_READY --from {REF}"
)


def _write_turn(tool: str, worktree: Path) -> str:
    """A turn that writes proof.txt with the CLI's own file tool (allowed by the allow-list)."""
    if tool == "claude":
        path = json.dumps(str(worktree / "proof.txt"))
        return f'tool = "Write"\ninput = {{ file_path = {path}, content = "proof\\n" }}'
    if tool == "gemini":
        return 'tool = "write_file"\ninput = { file_path = "proof.txt", content = "proof\\n" }'
    return 'shell = "echo proof > proof.txt"'


def script(tool: str, worktree: Path, *, commit_fault: str = "") -> str:
    fault = f'fault = "{commit_fault}"\nfault_times = 1\n' if commit_fault else ""
    return f"""
[[turn]]
text = "Starting the work on my hook."
shell = "{PHASES} executing"

[[turn]]
{_write_turn(tool, worktree)}

[[turn]]
{fault}shell = "git add proof.txt && git commit -qm 'Add proof'"

[[turn]]
shell = "{DONE}"

[[turn]]
text = "The work is merge-ready."
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _rig(tool: str, binary: str, project: Path, socket: str, home: Path, text: str) -> FleetRig:
    server = ModelServer(parse_script(text)).start()
    env = {
        **os.environ,
        **FAST,
        **cli_environment(tool, binary, server.url, home),
        "BOSUN_HOME": str(project),
        "BOSUN_RUNTIME_TMUX_SOCKET": socket,
        "BOSUN_AGENTS_AUTONOMY": AUTONOMY[tool],
    }
    env.pop("BOSUN_IDENTITY", None)
    return FleetRig(project, socket, env, server)


@pytest.fixture
def make_rig(project: Path, tmux_socket: str, home: Path) -> Iterator[object]:
    rigs: list[FleetRig] = []

    def make(tool: str, binary: str, text: str) -> FleetRig:
        rig = _rig(tool, binary, project, tmux_socket, home, text)
        rigs.append(rig)
        return rig

    try:
        yield make
    finally:
        for rig in rigs:
            rig.close()
            rig.server.stop()


def _check_version(tool: str, binary: str) -> None:
    tested = get_preset(tool).tested_version
    assert cli_version(binary) == tested, (
        f"{tool} {cli_version(binary)} is not the version the preset was tested with "
        f"({tested}): run these tests, update docs/agents.md and the preset's tested_version"
    )


def _spawn_with_work(rig: FleetRig, tool: str) -> None:
    work = rig.ok("work", "create", "Write the proof file", "--body", "Write proof.txt, commit.")
    rig.supervise()
    rig.ok("agent", "spawn", NAME, "--runtime", tool, "--work", work["id"])


def _landed(rig: FleetRig, after: str) -> None:
    wait_for(
        lambda: rig.git("show", "main:proof.txt") == "proof",
        timeout=150,
        interval=0.5,
        what=f"the work to land on main {after}\n{rig.detail(NAME)}",
    )


@pytest.mark.parametrize(("tool", "binary"), CLIS)
def test_spawned_with_work_the_real_cli_does_it_unattended_and_it_lands_on_main(
    tool: str, binary: str | None, make_rig: object, project: Path
) -> None:
    binary = require(tool, binary)
    _check_version(tool, binary)
    worktree = project / ".bosun" / "worktrees" / NAME
    rig = make_rig(tool, binary, script(tool, worktree))  # type: ignore[operator]

    _spawn_with_work(rig, tool)

    _landed(rig, "(spawned with its work)")

    assert rig.git("log", "main", "--format=%s").splitlines().count("Add proof") == 1
    wait_for(
        lambda: any(e.kind.endswith("landed") for e in rig.events()),
        timeout=60,
        interval=0.5,
        what=f"the merge queue's landed event\n{rig.detail(NAME)}",
    )
    played = [r["turn"] for r in rig.server.requests if r.get("turn")]
    assert played[:4] == [1, 2, 3, 4], rig.detail(NAME)
    hook = rig.ctx.hooks.find("polecat", NAME)
    assert hook is None or hook.phase in ("merge_ready", "merged", "released")
