"""docs/first-fleet.md, command by command, as a new user types it: every line of its `sh`
blocks runs in a shell in order (the files it tells you to save are saved first), and what
the page says you will see is checked. Commands the page says to repeat ("until both are
merged") are repeated until that holds."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from waiting import wait_for

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "first-fleet.md").read_text()
BIN = str(Path(sys.executable).parent)  # the venv's `bosun`

pytestmark = [pytest.mark.tmux, pytest.mark.slow]


def sh_lines() -> list[str]:
    blocks = re.findall(r"^```sh\n(.*?)^```", PAGE, re.S | re.M)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def saved_files() -> dict[str, str]:
    """The files the page tells you to save: a `name.md`: line, then a ````markdown block."""
    found = re.findall(r"^`([\w.-]+\.md)`[^\n]*\n\n````markdown\n(.*?)^````", PAGE, re.S | re.M)
    return dict(found)


class Shell:
    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd, self.env, self.ids = cwd, env, {}

    def __call__(self, line: str) -> str:
        for word, work_id in self.ids.items():
            line = line.replace(word, work_id)
        if line.startswith("cd "):
            self.cwd = self.cwd / line[3:].strip()
            return ""
        out = subprocess.run(
            ["bash", "-c", line], cwd=self.cwd, env=self.env, capture_output=True, text=True,
            timeout=120,
        )
        assert out.returncode == 0, f"`{line}` failed: {out.stderr or out.stdout}"
        return out.stdout


@pytest.fixture
def shell(tmp_path: Path, tmux_socket: str) -> Iterator[Shell]:
    import os

    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
           "BOSUN_RUNTIME_TMUX_SOCKET": tmux_socket}
    env.pop("BOSUN_HOME", None)
    sh = Shell(tmp_path, env)
    try:
        yield sh
    finally:  # the page's own clean-up, in case the test stopped before it
        if (sh.cwd / ".bosun").exists():
            for line in ("bosun agent stop ann", "bosun agent stop bob", "bosun stop"):
                subprocess.run(["bash", "-c", line], cwd=sh.cwd, env=env, capture_output=True)


def test_the_first_fleet_page_works_as_written(shell: Shell, tmp_path: Path) -> None:
    lines = sh_lines()
    files = saved_files()
    assert set(files) == {"greeting.md", "farewell.md"}

    def events_show_the_restart() -> bool:
        kind = "supervisor.recovery_started"
        return kind in shell(f"bosun events --kind {kind}")

    def both_merged() -> bool:
        return shell("bosun merge-queue list --all").count("merged") >= 2

    repeat_until: dict[str, Callable[[], object]] = {
        "bosun events --kind supervisor.recovery_started": events_show_the_restart,
        "bosun merge-queue list --all": both_merged,
    }
    for line in lines:
        if line.startswith("bosun work create"):
            for name, text in files.items():
                (shell.cwd / name).write_text(text)
            created = shell(line)
            match = re.search(r"created (\S+): Write a (greeting|farewell)", created)
            assert match, created
            shell.ids[match.group(2).upper()] = match.group(1)
        elif line in repeat_until:
            wait_for(repeat_until[line], timeout=180, what=f"`{line}` to show it")
        else:
            shell(line)
        if line == "bosun identity show polecat/bob":
            assert re.search(r"^incarnation: 2$", shell(line), re.M)
        if line == "git log --oneline main":
            log = shell(line)
            assert "add a greeting" in log and "add a farewell" in log, log
            for name in ("greeting.txt", "farewell.txt"):
                assert shell(f"git show main:{name}").strip()
    assert shell.ids.keys() == {"GREETING", "FAREWELL"}
    assert lines[-1] == "bosun stop"
