"""The `bosun` command: the root Typer app, command discovery and the one error handler."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys

import typer

from bosun import __version__

app = typer.Typer(
    name="bosun",
    help="A deterministic supervisor for fleets of AI coding agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bosun {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    verbose: bool = typer.Option(
        False, "-v", "--verbose", help="Show tracebacks and debug detail on errors."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """A deterministic supervisor for fleets of AI coding agents."""


def _register_commands() -> None:
    from bosun.cli import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"bosun.cli.commands.{info.name}")
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every BosunError becomes one line plus a hint and an exit code."""
    from click.exceptions import Abort, ClickException, Exit

    from bosun.base.errors import BosunError
    from bosun.cli.common import close_project

    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args
    verbose = "-v" in args or "--verbose" in args or os.environ.get("BOSUN_DEBUG") == "1"
    command = typer.main.get_command(app)
    code = 0
    try:
        code = command.main(args=args, prog_name="bosun", standalone_mode=False) or 0
    except Exit as exc:
        code = exc.exit_code
    except BosunError as exc:
        _report(exc.code, exc.message, exc.hint, as_json, verbose)
        code = exc.exit_code
    except ClickException as exc:
        _report("usage", exc.format_message(), "see `bosun --help`", as_json, verbose)
        code = 2
    except Abort:
        code = 130
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        _report(
            "internal",
            f"{type(exc).__name__}: {exc}",
            "rerun with -v and report it",
            as_json,
            verbose,
        )
        code = 1
    finally:
        close_project()
    return code


def _report(code: str, message: str, hint: str, as_json: bool, verbose: bool) -> None:
    if verbose:
        import traceback

        traceback.print_exc()
    if as_json:
        payload = {"error": {"code": code, "message": message, "hint": hint}}
        sys.stdout.write(json.dumps(payload) + "\n")
        return
    sys.stderr.write(f"error: {message}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
