"""`bosun completion SHELL`: the shell completion script for bash, zsh or fish."""

from __future__ import annotations

import typer

from bosun.base.errors import InvalidInput
from bosun.cli.common import JSON, output

SHELLS = ("bash", "zsh", "fish")


def completion(
    shell: str = typer.Argument(..., help="bash, zsh or fish."),
    as_json: bool = JSON,
) -> None:
    """Print the completion script for SHELL; e.g. add `eval "$(bosun completion bash)"`
    to ~/.bashrc (zsh: ~/.zshrc; fish: `bosun completion fish | source`)."""
    from typer._completion_shared import get_completion_script  # lazy: CLI start-up time

    if shell not in SHELLS:
        raise InvalidInput(f"no completion for shell {shell!r}", "use one of: " + ", ".join(SHELLS))
    script = get_completion_script(prog_name="bosun", complete_var="_BOSUN_COMPLETE", shell=shell)
    output({"shell": shell, "script": script}, as_json, script)


def register(root: typer.Typer) -> None:
    root.command("completion")(completion)
