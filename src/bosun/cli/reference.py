"""docs/cli.md, generated from the commands themselves (a test fails when it is stale)."""

from __future__ import annotations

import click
import typer

from bosun.base.config import _toml_value, all_settings


def iter_commands(
    command: click.Command, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            sub = command.commands[name]
            if not sub.hidden:
                found += iter_commands(sub, (*path, name))
    return found


def _usage(path: tuple[str, ...], command: click.Command) -> str:
    ctx = click.Context(command, info_name=" ".join(("bosun", *path)))
    return " ".join(command.collect_usage_pieces(ctx))


def render_cli_reference(app: typer.Typer) -> str:
    root = typer.main.get_command(app)
    lines = [
        "# CLI reference",
        "",
        "Generated from the commands' own help by `python -m bosun.cli.reference > docs/cli.md`;",
        "`tests/unit/test_cli_reference.py` fails when this file is stale. Every command takes",
        "`--json` and then prints one JSON object or list; errors print",
        '`{"error": {"code", "message", "hint"}}` and exit 2 (bad input) or 1 (failed).',
        "",
    ]
    for path, command in iter_commands(root):
        if not path:
            continue
        title = "bosun " + " ".join(path)
        lines += [f"## `{title}`", ""]
        if (command.help or "").strip():
            lines += [_clean(command.help or ""), ""]
        if isinstance(command, click.Group):
            subs = ", ".join(f"`{n}`" for n in sorted(command.commands))
            lines += [f"Subcommands: {subs}", ""]
            continue
        lines += ["```", f"{title} {_usage(path, command)}".rstrip(), "```", ""]
        rows = [
            row for p in command.params
            if not getattr(p, "hidden", False) and (row := _param_row(p)) is not None
        ]
        if rows:
            lines += ["| argument / option | help |", "|---|---|"]
            lines += [f"| {name} | {text} |" for name, text in rows]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _param_row(param: click.Parameter) -> tuple[str, str] | None:
    if isinstance(param, click.Option):
        if param.name == "help":
            return None
        names = ", ".join(f"`{o}`" for o in (*param.opts, *param.secondary_opts))
        text = _clean(param.help or "")
        if not param.is_flag and param.default not in (None, "", False) and not param.required:
            text += f" (default: `{param.default}`)"
        if param.required:
            text += " (required)"
        return names, text
    name = f"`{(param.name or '').upper()}`"
    help_text = _clean(getattr(param, "help", None) or "")
    return name, help_text + ("" if param.required else " (optional)")


def _clean(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_config_reference() -> str:
    """docs/configuration.md: every setting, from the settings registry."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from the settings registry by `python -m bosun.cli.reference --config >",
        "docs/configuration.md`; a test fails when it is stale. Set a value in",
        "`.bosun/config.toml` (`[section]` then `key = value`) or with its environment",
        "variable, which wins. Durations take `250ms`, `90s`, `15m`, `2h`, `1d` or seconds.",
        "`bosun config list` shows the value in force and where it came from.",
    ]
    current = None
    ordered = sorted(all_settings().items(), key=lambda kv: ("." in kv[0], kv[0]))
    for key, setting in ordered:
        section = key.rsplit(".", 1)[0] if "." in key else "(top level)"
        if section != current:
            lines += ["", f"## {section}", "", "| setting | type | default | environment | help |",
                      "|---|---|---|---|---|"]
            current = section
        kind = setting.type + (f" ({', '.join(setting.choices)})" if setting.choices else "")
        lines.append(f"| `{key}` | {kind} | `{_toml_value(setting.default)}` | "
                     f"`{setting.env}` | {_clean(setting.help)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    if "--config" in sys.argv[1:]:
        print(render_config_reference(), end="")
    else:
        from bosun.cli.app import build_app

        print(render_cli_reference(build_app()), end="")
