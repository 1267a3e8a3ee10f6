"""`bosun completion SHELL` prints a script that really completes commands in that shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clirunner import Bosun


def _with_bosun_on_path(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "bosun"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m bosun "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_bash_completes_commands_and_subcommands(tmp_path: Path, project: Path) -> None:
    script = (
        'eval "$(bosun completion bash)"\n'
        "COMP_WORDS=(bosun ide); COMP_CWORD=1; _bosun_completion bosun; "
        'echo "${COMPREPLY[*]}"\n'
        "COMP_WORDS=(bosun identity hea); COMP_CWORD=2; _bosun_completion bosun; "
        'echo "${COMPREPLY[*]}"\n'
    )
    out = subprocess.run(["bash", "-c", script], cwd=project, env=_with_bosun_on_path(tmp_path),
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.splitlines() == ["identity", "heartbeat"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_name_bosun(bosun: Bosun, shell: str) -> None:
    result = bosun("completion", shell)
    assert result.code == 0 and "_BOSUN_COMPLETE=complete_" + shell in result.out
    if shutil.which(shell) is None:
        return
    check = [shell, "-n"] if shell == "zsh" else [shell, "--no-execute"]
    subprocess.run(check, input=result.out, text=True, check=True, timeout=30)


def test_an_unknown_shell_is_refused(bosun: Bosun) -> None:
    result = bosun("completion", "tcsh")
    assert result.code == 2
    assert result.err.splitlines()[0] == "error: no completion for shell 'tcsh'"
