"""What every command shares: the project context, `--json` output, identity arguments.

Typer-free and light: the fast path for the commands agents run many times a minute
(`bosun.cli.fastpath`) imports this module without loading typer or click.
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
        from bosun.core.context import open_project

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
    from bosun.base.errors import BosunError

    role, name = ref.split("/", 1)
    with contextlib.suppress(BosunError):  # an unknown identity must not break the command
        ctx.identities.heartbeat(role, name)


def identity_arg(ref: str | None, role: str | None = None) -> tuple[str, str]:
    """Accept `ROLE NAME` as two arguments or `ROLE/NAME` as one."""
    from bosun.base.names import check_name, split_identity

    if role is not None and ref is not None and "/" not in role:
        return check_name(role, "role"), check_name(ref)
    value = role if ref is None else ref
    if value is None:
        from bosun.base.errors import InvalidInput

        raise InvalidInput("no identity given", "give ROLE NAME or ROLE/NAME")
    return split_identity(value)


def self_identity() -> tuple[str, str] | None:
    ref = os.environ.get("BOSUN_IDENTITY")
    if not ref:
        return None
    from bosun.base.names import split_identity

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
        sys.stdout.write(escape_controls(rendered.rstrip("\n")) + "\n")


# C0 controls but tab and newline, DEL, and the C1 controls (0x80-0x9f, e.g. CSI 0x9b)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """Text for the operator's terminal: escape sequences from stored text (titles,
    payloads, screen captures) are shown as `\\x1b…`, never interpreted. Not for --json."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def table(rows: Iterable[Iterable[Any]], headers: Iterable[str]) -> str:
    """A plain aligned text table (no colour, so it reads the same in logs and pipes)."""
    head = [str(h) for h in headers]
    body = [["" if c is None else str(c) for c in row] for row in rows]
    if not body:
        return "(none)"
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(lines)


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
        from bosun.base.errors import InvalidInput

        raise InvalidInput(
            f"standard input is not UTF-8 text (bad byte at offset {exc.start})",
            "pipe UTF-8 text, e.g. through `iconv -t UTF-8`",
        ) from None
