"""The CLI reference is generated from the commands, and every command speaks JSON."""

from __future__ import annotations

from pathlib import Path

import click
import typer

from bosun.cli.app import COMMAND_MODULES, build_app
from bosun.cli.reference import iter_commands, render_cli_reference, render_config_reference

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_docs_cli_md_is_generated_from_the_current_commands() -> None:
    expected = render_cli_reference(build_app())
    assert DOCS.read_text() == expected, (
        "docs/cli.md is stale: regenerate it with `python -m bosun.cli.reference > docs/cli.md`"
    )


def test_every_command_accepts_json() -> None:
    root = typer.main.get_command(build_app())
    missing = [
        " ".join(path)
        for path, command in iter_commands(root)
        if path
        and not isinstance(command, click.Group)
        and not any("--json" in getattr(p, "opts", ()) for p in command.params)
    ]
    assert missing == [], f"commands without --json: {missing}"


def test_docs_configuration_md_lists_every_setting() -> None:
    path = DOCS.with_name("configuration.md")
    assert path.read_text() == render_config_reference(), (
        "docs/configuration.md is stale: regenerate it with "
        "`python -m bosun.cli.reference --config > docs/configuration.md`"
    )


def test_command_modules_names_the_module_that_registers_each_command() -> None:
    every = typer.main.get_command(build_app())
    assert isinstance(every, click.Group)
    assert set(COMMAND_MODULES) == set(every.commands), (
        "update COMMAND_MODULES in src/bosun/cli/app.py"
    )
    for name in COMMAND_MODULES:
        alone = typer.main.get_command(build_app(name))
        assert isinstance(alone, click.Group)
        assert name in alone.commands, f"{name}: COMMAND_MODULES names the wrong module"
