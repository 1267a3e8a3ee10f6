"""The `bosun` command: the root Typer app, command discovery and the one error handler.

Start-up matters: agents run `bosun` many times a minute. The hottest commands take the
fast path (`bosun.cli.fastpath`, no typer or click at all); every other call registers only
the command module it names (`COMMAND_MODULES`), and only `bosun`, `bosun --help` or an
unknown command load every module.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

from bosun import __version__

if TYPE_CHECKING:
    import typer

# Top-level command name → the module of bosun.cli.commands that registers it.
# tests/unit/test_cli_reference.py checks this against what the modules really register.
COMMAND_MODULES = {
    "agent": "agent", "crew": "agent", "spawn-runner": "chain", "hooks": "claude",
    "claude-hook": "claude", "commitments": "commitments", "completion": "completion",
    "config": "config",
    "dashboard": "dashboard", "demo": "demo", "events": "events", "guards": "guards",
    "hook": "hook", "identity": "identity", "init": "init", "mcp": "mcp",
    "merge-queue": "merge_queue", "model": "model", "mr": "mr", "notify": "notify",
    "prime": "prime",
    "resume-queue": "resume_queue",
    "run": "run", "runtimes": "runtimes", "sentinel": "sentinel", "signal": "signal",
    "sim-agent": "sim_agent", "supervise": "supervise", "stop": "supervise",
    "status": "supervise", "handoff": "supervise", "thread": "thread", "trigger": "triggers",
    "triggers": "triggers", "tui": "tui", "work": "work", "worktree": "worktree",
}

_ROOT_OPTIONS = {"-v", "--verbose"}


def build_app(command: str | None = None) -> typer.Typer:
    """The root app with every command, or with only the module that registers `command`."""
    import importlib  # lazy: CLI start-up time
    import pkgutil  # lazy: CLI start-up time

    import typer  # lazy: CLI start-up time

    from bosun.cli import commands  # lazy: CLI start-up time

    app = typer.Typer(
        name="bosun",
        help="A deterministic supervisor for fleets of AI coding agents.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def show_version(value: bool) -> None:
        if value:
            typer.echo(f"bosun {__version__}")
            raise typer.Exit()

    @app.callback()
    def root(
        verbose: bool = typer.Option(
            False, "-v", "--verbose", help="Show tracebacks and debug detail on errors."
        ),
        version: bool = typer.Option(
            False, "--version", callback=show_version, is_eager=True,
            help="Print the version and exit.",
        ),
    ) -> None:
        """A deterministic supervisor for fleets of AI coding agents."""

    if command in COMMAND_MODULES:
        names = [COMMAND_MODULES[command]]
    else:
        names = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
    for name in names:
        importlib.import_module(f"bosun.cli.commands.{name}").register(app)
    return app


def _command_name(args: list[str]) -> str | None:
    for arg in args:
        if arg not in _ROOT_OPTIONS:
            return None if arg.startswith("-") else arg
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every BosunError becomes one line plus a hint and an exit code."""
    from bosun.base.errors import BosunError  # lazy: CLI start-up time
    from bosun.cli import fastpath  # lazy: CLI start-up time
    from bosun.cli.output import close_project  # lazy: CLI start-up time

    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # the cheapest call of all: no Click tree
        sys.stdout.write(f"bosun {__version__}\n")
        return 0
    as_json = "--json" in args
    verbose = "-v" in args or "--verbose" in args or os.environ.get("BOSUN_DEBUG") == "1"
    code = 0
    try:
        fast = fastpath.match(args)
        if fast is not None:
            fast()
        else:
            code = _run_click(args, as_json, verbose)
    except BosunError as exc:
        _report(exc.code, exc.message, exc.hint, as_json, verbose)
        code = exc.exit_code
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


def _run_click(args: list[str], as_json: bool, verbose: bool) -> int:
    import typer  # lazy: CLI start-up time

    # lazy: CLI start-up time
    from click.exceptions import Abort, ClickException, Exit, NoArgsIsHelpError

    if "_BOSUN_COMPLETE" in os.environ:  # a shell asks for completions (`bosun completion`)
        from typer._completion_classes import completion_init  # lazy: CLI start-up time

        completion_init()
    command = typer.main.get_command(build_app(_command_name(args)))
    try:
        return command.main(args=args, prog_name="bosun", standalone_mode=False) or 0
    except Exit as exc:
        return exc.exit_code
    except NoArgsIsHelpError as exc:  # `bosun` or `bosun GROUP` alone: the command list
        sys.stdout.write(exc.format_message() + "\n")
        return 0
    except ClickException as exc:
        _report("usage", exc.format_message(), "see `bosun --help`", as_json, verbose)
        return 2
    except Abort:
        return 130


def _report(code: str, message: str, hint: str, as_json: bool, verbose: bool) -> None:
    if verbose:
        import traceback  # lazy: CLI start-up time

        traceback.print_exc()
    from bosun.base.dburl import redact_secrets  # lazy: CLI start-up time

    message, hint = redact_secrets(message), redact_secrets(hint)
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
