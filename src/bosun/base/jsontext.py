"""JSON that enters bosun from outside: finite numbers only, bounded nesting, clear errors.

Python's `json` accepts `NaN`, `Infinity` and `1e999` and writes them back as bare `NaN`,
which no other JSON reader accepts; a 5,000-deep array overflows the recursion limit.
"""

from __future__ import annotations

import json
import math
from typing import Any

from bosun.base.errors import InvalidInput

MAX_DEPTH = 64


def parse_json(text: str, what: str, hint: str) -> Any:
    """Parse `text`; InvalidInput (naming `what`) for bad JSON, non-finite numbers or
    nesting deeper than MAX_DEPTH."""
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise InvalidInput(f"{what} is nested {depth} levels deep; the limit is {MAX_DEPTH}", hint)

    def refuse(constant: str) -> Any:
        raise InvalidInput(f"{what} contains {constant}, which is not valid JSON", hint)

    try:
        value = json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{what} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", hint
        ) from exc
    except RecursionError as exc:  # pragma: no cover - _depth catches it first
        raise InvalidInput(f"{what} is nested too deeply", hint) from exc
    check_finite(value, what, hint)
    return value


def check_finite(value: Any, what: str, hint: str = "use finite numbers") -> None:
    """Refuse NaN and ±Infinity anywhere in `value` (a number such as 1e999 parses to inf)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"{what} is nested more than {MAX_DEPTH} levels deep", hint)
        if isinstance(item, float) and not math.isfinite(item):
            raise InvalidInput(f"{what} holds a number that is not finite ({item})", hint)
        if isinstance(item, dict):
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list | tuple):
            stack += [(v, depth + 1) for v in item]


def dumps_strict(value: Any, what: str, **kwargs: Any) -> str:
    """`json.dumps` that refuses non-finite numbers with InvalidInput instead of writing NaN."""
    check_finite(value, what)
    return json.dumps(value, allow_nan=False, **kwargs)


def _depth(text: str) -> int:
    """The deepest bracket nesting of `text` outside strings (cheap, no recursion)."""
    deepest = level = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            level += 1
            deepest = max(deepest, level)
        elif ch in "]}":
            level -= 1
    return deepest
