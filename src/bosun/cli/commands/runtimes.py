"""`bosun runtimes …`: the runtime presets (built in, and the project's .bosun/runtimes/)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import typer

from bosun.base.errors import NotAProject
from bosun.base.paths import find_project
from bosun.cli.common import JSON, output, table

app = typer.Typer(
    help="Runtime presets: how each agent CLI is launched and read.", no_args_is_help=True
)


def _project_runtimes() -> Path | None:
    try:
        return find_project().runtimes
    except NotAProject:
        return None


def _available(preset: Any) -> bool:
    program = preset.launch_argv()[0]
    return shutil.which(program) is not None


def _data(preset: Any) -> dict[str, Any]:
    data: dict[str, Any] = preset.to_json()
    data["program"] = preset.launch_argv()[0]
    data["available"] = _available(preset)
    return data


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """List runtime presets, whether their program is on PATH, and what they support."""
    from bosun.runtime.presets import load_presets  # lazy: CLI start-up time

    presets = list(load_presets(_project_runtimes()).values())
    rows = [_data(p) for p in presets]

    def render(_: Any) -> str:
        return table(
            (
                (
                    r["name"],
                    r["program"],
                    "yes" if r["available"] else "no",
                    "yes" if r["can_resume"] else "no",
                    r["hooks"],
                    r["description"],
                )
                for r in rows
            ),
            ("NAME", "PROGRAM", "ON PATH", "RESUME", "HOOKS", "DESCRIPTION"),
        )

    output(rows, as_json, render)


@app.command("show")
def show(name: str, as_json: bool = JSON) -> None:
    """Show one preset in full (argv templates, screen patterns, where it came from)."""
    from bosun.runtime.presets import get_preset  # lazy: CLI start-up time

    data = _data(get_preset(name, _project_runtimes()))

    def render(_: Any) -> str:
        lines = []
        for key, value in data.items():
            if key == "screen":
                lines += [f"screen.{k}: {v}" for k, v in value.items()]
            else:
                lines.append(f"{key}: {value}")
        return "\n".join(lines)

    output(data, as_json, render)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="runtimes")
