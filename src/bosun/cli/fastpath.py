"""A fast path for the commands agents run many times a minute.

`bosun identity heartbeat`, `bosun prime`, `bosun hook checkpoint` and `bosun signal send`
are parsed here, without importing typer or click or building the Click tree. Anything this
parser does not recognise exactly (`--help`, an unknown option, a missing argument) returns
None and the full CLI handles it, with its usual messages. `BOSUN_NO_FAST_PATH=1` turns the
fast path off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bosun.cli import hot


@dataclass(frozen=True)
class FastCommand:
    run: Callable[..., None]
    positionals: tuple[str, ...]  # parameter names, in order
    required: int  # how many of them must be given
    options: Mapping[str, str] = field(default_factory=dict)  # "--note" → parameter "note"


COMMANDS: dict[tuple[str, ...], FastCommand] = {
    ("identity", "heartbeat"): FastCommand(hot.heartbeat, ("role", "name"), 2),
    ("identity", "update-liveness"): FastCommand(hot.heartbeat, ("role", "name"), 2),
    ("prime",): FastCommand(hot.prime, ("role", "name"), 0),
    ("hook", "checkpoint"): FastCommand(hot.checkpoint, ("role", "name"), 2, {"--note": "note"}),
    ("signal", "send"): FastCommand(
        hot.signal_send, ("to", "kind"), 2, {"--payload": "payload", "--from": "sender"}
    ),
}


def match(argv: Sequence[str]) -> Callable[[], None] | None:
    """The call to make for `argv`, or None when the full CLI must parse it."""
    if os.environ.get("BOSUN_NO_FAST_PATH") == "1":
        return None
    for size in (2, 1):
        command = COMMANDS.get(tuple(argv[:size]))
        if command is not None:
            return _bind(command, list(argv[size:]))
    return None


def _bind(command: FastCommand, args: list[str]) -> Callable[[], None] | None:
    values: dict[str, object] = dict.fromkeys((*command.positionals, *command.options.values()))
    values["as_json"] = False
    positionals: list[str] = []
    rest = iter(args)
    for arg in rest:
        if arg == "--json":
            values["as_json"] = True
        elif arg == "--":
            positionals.extend(rest)
        elif arg.startswith("-") and arg != "-":
            option, eq, value = arg.partition("=")
            if option not in command.options:
                return None  # --help, -v, unknown options: the full CLI answers
            if not eq:
                following = next(rest, None)
                if following is None:
                    return None
                value = following
            values[command.options[option]] = value
        else:
            positionals.append(arg)
    if not command.required <= len(positionals) <= len(command.positionals):
        return None
    values.update(zip(command.positionals, positionals, strict=False))
    return lambda: command.run(**values)
