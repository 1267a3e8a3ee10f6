"""Edge conditions (spec §10): `Clause ('&&' Clause)*`, operators `=` and `!=`.

A clause is `Key Operator Literal`, or a bare `Key` read for truthiness (§10.5; a value is
falsy when empty, `false`, `0`, `no`, `none` or `null`, as in Kilroy). Keys: `outcome`,
`preferred_label`, `context.<path>` (also looked up without the prefix) or any bare
context path, each part an identifier. Literals: a double-quoted string (any character;
escapes `\\"`, `\\\\`, `\\n`, `\\t`), an integer or decimal, `true`/`false`, a bare
`[A-Za-z_][A-Za-z0-9_.:-]*`, or nothing (the empty string). An empty condition is always
true. A missing key reads as "". Comparison is exact and case-sensitive, except that
`outcome` values are canonicalised on both sides (`ok` → success, `failure`/`error` → fail,
`skip` → skipped, `partial-success` → partial_success); custom outcomes pass through
lowercased.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bosun.base.errors import InvalidInput

OUTCOME_ALIASES = {
    "ok": "success",
    "succeeded": "success",
    "failure": "fail",
    "failed": "fail",
    "error": "fail",
    "skip": "skipped",
    "partial-success": "partial_success",
    "partial": "partial_success",
}
_FALSY = {"", "false", "0", "no", "none", "null"}
# One lexeme at a time, after optional blanks: a string, an operator, or a run of other text.
_LEXEME = re.compile(
    r'\s*(?:("(?:[^"\\]|\\.)*")|(&&|!=|==|=|\|\||>=|<=|[<>!()])|([^\s"&|!=<>()]+)|(["&|]))'
)
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_LITERAL = re.compile(r"(?:-?[0-9]*\.?[0-9]+|[A-Za-z_][A-Za-z0-9_.:-]*)\Z")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_Lexeme = tuple[str, str, int]  # kind (string | op | word), text, 0-based position


class ConditionError(InvalidInput):
    code = "condition_syntax"


def canonical_outcome(value: str) -> str:
    lowered = value.strip().lower()
    return OUTCOME_ALIASES.get(lowered, lowered)


@dataclass(frozen=True)
class Clause:
    key: str
    op: str  # "=" | "!=" | "truthy"
    value: str = ""


@dataclass(frozen=True)
class Condition:
    text: str
    clauses: tuple[Clause, ...]


@lru_cache(maxsize=4096)
def parse_condition(text: str) -> Condition:
    """Parse a condition; raise ConditionError naming the column (results are cached)."""
    stripped = text.strip()
    if not stripped:
        return Condition("", ())
    lexemes = _lex(stripped)
    clauses: list[Clause] = []
    i = 0
    while True:
        clause, i = _clause(stripped, lexemes, i)
        clauses.append(clause)
        if i == len(lexemes):
            return Condition(stripped, tuple(clauses))
        kind, value, pos = lexemes[i]
        if not _is_and(lexemes[i]):
            raise _error(stripped, pos, f"expected '&&' but found {value!r}")
        i += 1


def _is_and(lexeme: _Lexeme) -> bool:
    return lexeme[0] == "op" and lexeme[1] == "&&"


def _lex(text: str) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    pos = 0
    while pos < len(text):
        match = _LEXEME.match(text, pos)
        if match is None:  # only blanks remain
            break
        group = match.lastindex or 0
        start, value = match.start(group), match.group(group)
        if group == 4:
            what = "unterminated string" if value == '"' else f"unexpected {value!r}"
            raise _error(text, start, what)
        if group == 1:
            out.append(("string", _unescape(text, value, start), start))
        else:
            out.append(("op" if group == 2 else "word", value, start))
        pos = match.end()
    return out


def _clause(text: str, lexemes: list[_Lexeme], i: int) -> tuple[Clause, int]:
    if i == len(lexemes):
        raise _error(text, len(text), "a condition cannot end with '&&'")
    kind, key, pos = lexemes[i]
    if kind != "word" or not _KEY.match(key):
        if kind == "op":
            raise _error(text, pos, f"expected a key but found {key!r}")
        raise _error(text, pos, f"invalid key {key!r}")
    i += 1
    if i == len(lexemes) or _is_and(lexemes[i]):
        return Clause(key, "truthy"), i
    kind, op, pos = lexemes[i]
    if op not in ("=", "!="):
        raise _error(text, pos, f"unsupported operator {op!r}")
    i += 1
    if i == len(lexemes) or _is_and(lexemes[i]):
        return Clause(key, op, ""), i
    kind, value, pos = lexemes[i]
    if kind == "op" or (kind == "word" and not _LITERAL.match(value)):
        raise _error(text, pos, f"invalid value {value!r}; quote it")
    i += 1
    if i < len(lexemes) and not _is_and(lexemes[i]):
        extra = lexemes[i]
        raise _error(text, extra[2], f"unexpected {extra[1]!r} after {key}{op}{value}")
    return Clause(key, op, value), i


def _unescape(text: str, raw: str, start: int) -> str:
    body = raw[1:-1]
    if "\\" not in body:
        return body
    for match in _ESCAPE_RE.finditer(body):
        if match.group(1) not in _ESCAPES:
            raise _error(text, start + 1 + match.start(), f"unknown escape {match.group(0)!r}")
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(1)], body)


def _error(text: str, pos: int, message: str) -> ConditionError:
    return ConditionError(f"{message} at column {pos + 1} of condition {text!r}", _HINT)


def lookup(key: str, outcome: str, preferred_label: str, context: Mapping[str, Any]) -> str:
    if key == "outcome":
        return canonical_outcome(outcome)
    if key == "preferred_label":
        return preferred_label
    if key in context:
        return _text(context[key])
    if key.startswith("context."):
        short = key[len("context.") :]
        if short in context:
            return _text(context[short])
    return ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def evaluate(
    condition: Condition, outcome: str, preferred_label: str, context: Mapping[str, Any]
) -> bool:
    for clause in condition.clauses:
        actual = lookup(clause.key, outcome, preferred_label, context)
        if clause.op == "truthy":
            ok = actual.strip().lower() not in _FALSY
        else:
            expected = clause.value
            if clause.key == "outcome":
                expected = canonical_outcome(expected)
            ok = (actual == expected) if clause.op == "=" else (actual != expected)
        if not ok:
            return False
    return True


_HINT = (
    'write clauses like outcome=success && context.tests_passed=true && preferred_label="Ship it!"'
    " (spec §10: only = != &&)"
)
