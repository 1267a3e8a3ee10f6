"""Edge conditions: `Clause ('&&' Clause)*` with `=`, `!=` and bare-key truthiness.

Keys: `outcome`, `preferred_label`, `context.<path>` (also looked up without the prefix) or
any bare context key. A missing key reads as "". `outcome` values are canonicalised on both
sides (`ok` → success, `failure`/`error` → fail, `skip` → skipped, `partial-success` →
partial_success); custom outcomes pass through lowercased.
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
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_FALSY = {"", "false", "0", "no", "none", "null"}


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
    """Parse a condition; raise ConditionError naming the bad clause (results are cached)."""
    stripped = text.strip()
    if not stripped:
        raise ConditionError("empty condition", "remove the attribute or write key=value")
    clauses: list[Clause] = []
    for raw in stripped.split("&&"):
        part = raw.strip()
        if not part:
            raise ConditionError(f"empty clause in condition {text!r}", _HINT)
        for bad in ("||", ">", "<", "==", "!"):
            if bad in part and not (bad == "!" and "!=" in part):
                raise ConditionError(f"unsupported operator {bad!r} in {text!r}", _HINT)
        if "!=" in part:
            key, _, value = part.partition("!=")
            op = "!="
        elif "=" in part:
            key, _, value = part.partition("=")
            op = "="
        else:
            key, value, op = part, "", "truthy"
        key = key.strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if not _KEY.match(key):
            raise ConditionError(f"invalid key {key!r} in condition {text!r}", _HINT)
        if op != "truthy" and ("=" in value):
            raise ConditionError(f"malformed clause {part!r} in condition {text!r}", _HINT)
        clauses.append(Clause(key, op, value))
    return Condition(stripped, tuple(clauses))


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


_HINT = "write clauses like outcome=success && context.tests_passed=true (only = != &&)"
