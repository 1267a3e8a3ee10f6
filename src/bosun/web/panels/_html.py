"""Small HTML helpers for panel renderers: everything is escaped, nothing is inline."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any


def esc(value: Any) -> str:
    return "" if value is None else escape(str(value), quote=True)


def badge(text: Any, cls: str = "") -> str:
    return f'<span class="badge {esc(cls or str(text))}">{esc(text)}</span>'


def ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = max(0.0, float(seconds))
    if s < 60:
        return f"{s:.0f}s"
    if s < 3600:
        return f"{s / 60:.0f}m"
    if s < 86400:
        return f"{s / 3600:.1f}h"
    return f"{s / 86400:.1f}d"


def short(text: Any, limit: int = 80) -> str:
    value = "" if text is None else str(text)
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def table(
    headers: Iterable[str],
    rows: Iterable[Iterable[str]],
    *,
    row_attrs: Iterable[str] | None = None,
    empty: str = "nothing here",
) -> str:
    """`rows` hold already-escaped cell HTML; `row_attrs` already-escaped attributes."""
    body = list(rows)
    if not body:
        return f'<p class="empty">{esc(empty)}</p>'
    attrs = list(row_attrs) if row_attrs is not None else [""] * len(body)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    lines = "".join(
        f"<tr{(' ' + a) if a else ''}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
        for row, a in zip(body, attrs, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"


def more(shown: int, total: int) -> str:
    if total <= shown:
        return ""
    return f'<p class="more">{total - shown} more (see the API)</p>'


def code(text: Any) -> str:
    return f"<code>{esc(text)}</code>"
