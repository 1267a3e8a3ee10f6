"""What every command shares: the project context, `--json` output, identity arguments, and
text for people: short relative times (`12s ago`; `--json` keeps the full time), colour on a
terminal (none when piped or under NO_COLOR), and tables that fit the terminal by leaving
out less important columns, never by cutting a name.

Typer-free and light: the fast path for the commands agents run many times a minute
(`bosun.cli.fastpath`) imports this module without loading typer or click (nor rich).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bosun.core.context import Context


_context: Context | None = None


def project() -> Context:
    """The current project's context, opened once per process.

    When the caller is an agent (`BOSUN_IDENTITY=role/name`), opening the project counts as
    its heartbeat: every `bosun` call an agent makes keeps it alive.
    """
    global _context
    if _context is None:
        from bosun.core.context import open_project  # lazy: CLI start-up time

        _context = open_project()
        _implicit_heartbeat(_context)
    return _context


def close_project() -> None:
    global _context
    if _context is not None:
        _context.close()
        _context = None


def _implicit_heartbeat(ctx: Context) -> None:
    ref = os.environ.get("BOSUN_IDENTITY")
    if not ref or "/" not in ref:
        return
    from bosun.base.errors import BosunError  # lazy: CLI start-up time

    role, name = ref.split("/", 1)
    with contextlib.suppress(BosunError):  # an unknown identity must not break the command
        ctx.identities.heartbeat(role, name)


def identity_arg(ref: str | None, role: str | None = None) -> tuple[str, str]:
    """Accept `ROLE NAME` as two arguments or `ROLE/NAME` as one."""
    from bosun.base.names import check_name, split_identity  # lazy: CLI start-up time

    if role is not None and ref is not None and "/" not in role:
        return check_name(role, "role"), check_name(ref)
    value = role if ref is None else ref
    if value is None:
        from bosun.base.errors import InvalidInput  # lazy: CLI start-up time

        raise InvalidInput("no identity given", "give ROLE NAME or ROLE/NAME")
    return split_identity(value)


def self_identity() -> tuple[str, str] | None:
    ref = os.environ.get("BOSUN_IDENTITY")
    if not ref:
        return None
    from bosun.base.names import split_identity  # lazy: CLI start-up time

    return split_identity(ref)


def to_data(value: Any, now: float | None = None) -> Any:
    """Records become JSON-ready dicts (`to_json`), lists element-wise."""
    if isinstance(value, list | tuple):
        return [to_data(v, now) for v in value]
    to_json = getattr(value, "to_json", None)
    if to_json is not None:
        try:
            return to_json(now) if now is not None else to_json()
        except TypeError:
            return to_json() if now is not None else to_json(project().clock.now())
    return value


def output(value: Any, as_json: bool, text: Callable[[Any], str] | str | None = None) -> None:
    """Print `value` as JSON (`--json`) or as text via `text(value)`."""
    data = to_data(value)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
        return
    if text is None:
        rendered = json.dumps(data, indent=2, sort_keys=True, default=str)
    elif isinstance(text, str):
        rendered = text
    else:
        rendered = text(value)
    if rendered:
        sys.stdout.write(for_terminal(rendered.rstrip("\n")) + "\n")


# C0 controls but tab and newline, DEL, and the C1 controls (0x80-0x9f, e.g. CSI 0x9b)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """Text for the operator's terminal: escape sequences from stored text (titles,
    payloads, screen captures) are shown as `\\x1b…`, never interpreted. Not for --json."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def table(
    rows: Iterable[Iterable[Any]],
    headers: Iterable[str],
    *,
    drop: Iterable[str] = (),
    width: int | None = None,
) -> str:
    """An aligned text table. Cells may be `paint`ed: widths count visible characters.

    When `width` is given (`terminal_width()`), the columns named in `drop` are left out,
    in that order, until the table fits; no cell is ever cut, so names stay whole.
    """
    head = [str(h) for h in headers]
    body = [["" if c is None else str(c) for c in row] for row in rows]
    if not body:
        return "(none)"
    keep = list(range(len(head)))
    widths = [max(len(h), *(visible_len(r[i]) for r in body)) for i, h in enumerate(head)]
    for name in drop if width is not None else ():
        if sum(widths[i] for i in keep) + 2 * (len(keep) - 1) <= (width or 0):
            break
        if name in head and head.index(name) in keep:
            keep.remove(head.index(name))

    def line(cells: list[str]) -> str:
        return "  ".join(_pad(cells[i], widths[i]) for i in keep).rstrip()

    return "\n".join([line(head), *(line(r) for r in body)])


def _pad(cell: str, width: int) -> str:
    return cell + " " * (width - visible_len(cell))


# -- text for people: colour and relative times ---------------------------------------

COLOURS = {
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
    "grey": "90",
    "bold": "1",
}
# Status and screen words coloured the way the TUI and the dashboard colour them.
WORD_COLOURS = {
    "active": "green",
    "busy": "green",
    "ready": "cyan",
    "stale": "yellow",
    "waiting_input": "magenta",
    "crashed": "red",
    "quarantined": "red",
    "escalated": "red",
    "dead": "red",
    "not running": "grey",
    "terminated": "grey",
    "handed_off": "grey",
}


def colour_enabled(stream: Any = None) -> bool:
    """Colour only on a terminal, never under NO_COLOR (https://no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream if stream is not None else sys.stdout, "isatty", None)
    return bool(isatty and isatty())


# `paint` marks colour with two private-use characters; `for_terminal` turns the marks into
# escape sequences *after* escaping every control character of the text, so stored text
# (names, payloads) can never reach the terminal as an escape sequence.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
_MARK = re.compile(f"{_MARK_OPEN}([0-9]{{1,2}}){_MARK_CLOSE}")


def paint(text: str, colour: str | None, enabled: bool | None = None) -> str:
    """`text` marked for `colour` (a COLOURS name) when colour is on; unchanged otherwise.
    The marks become colour in `for_terminal` (which `output` applies)."""
    code = COLOURS.get(colour or "")
    if code is None or not (colour_enabled() if enabled is None else enabled):
        return text
    return f"{_MARK_OPEN}{code}{_MARK_CLOSE}{text}{_MARK_OPEN}0{_MARK_CLOSE}"


def for_terminal(text: str) -> str:
    """Text for the operator's terminal: controls escaped, then `paint`'s marks as colour."""
    return _MARK.sub(lambda m: f"\033[{m.group(1)}m", escape_controls(text))


def paint_word(word: str, enabled: bool | None = None) -> str:
    """A status or screen word in its colour (see WORD_COLOURS)."""
    return paint(word, WORD_COLOURS.get(word), enabled)


def visible_len(text: str) -> int:
    """Length as the terminal shows it: colour marks take no room."""
    return len(_MARK.sub("", text)) if _MARK_OPEN in text else len(text)


def terminal_width(stream: Any = None) -> int | None:
    """The terminal's width when printing to one (COLUMNS wins); None when piped."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    target = stream if stream is not None else sys.stdout
    try:
        if not target.isatty():
            return None
        return os.get_terminal_size(target.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None


def ago(seconds: float | None) -> str:
    """A short relative time: `12s ago`, `5m ago`, `2.5h ago`, `3.0d ago` (`-` when unknown)."""
    return "-" if seconds is None else age(seconds) + " ago"


def age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def read_text_arg(value: str) -> str:
    """`-` reads standard input, which must be UTF-8 text."""
    if value != "-":
        return value
    raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        from bosun.base.errors import InvalidInput  # lazy: CLI start-up time

        raise InvalidInput(
            f"standard input is not UTF-8 text (bad byte at offset {exc.start})",
            "pipe UTF-8 text, e.g. through `iconv -t UTF-8`",
        ) from None
