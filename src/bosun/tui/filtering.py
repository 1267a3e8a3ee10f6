"""The search box: fuzzy text plus `state:`, `role:` and `runtime:` filters.

`parse_query("tst state:waiting,stalled role:polecat")` → a `Query`; `apply(rows, query)`
keeps the matching rows. Several values of one key are alternatives (comma-separated or
repeated); different keys must all match; the free text matches fuzzily (its letters in
order) against the identity, runtime, status, screen, phase, work item and level. Ordering
is left alone: rows stay in attention order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bosun.tui.snapshot import AgentRow

KEYS = ("state", "role", "runtime")


@dataclass(frozen=True)
class Query:
    text: str = ""
    states: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    runtimes: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.text or self.states or self.roles or self.runtimes)


def parse_query(raw: str) -> Query:
    words: list[str] = []
    found: dict[str, set[str]] = {key: set() for key in KEYS}
    for word in raw.split():
        key, sep, value = word.partition(":")
        if sep and key.lower() in found and value:
            found[key.lower()].update(v.lower() for v in value.split(",") if v)
        else:
            words.append(word)
    return Query(
        " ".join(words).lower(),
        frozenset(found["state"]),
        frozenset(found["role"]),
        frozenset(found["runtime"]),
    )


def fuzzy_match(needle: str, haystack: str) -> bool:
    """True when the letters of `needle` (spaces ignored) occur in order in `haystack`."""
    position = 0
    text = haystack.lower()
    for char in needle.lower():
        if char.isspace():
            continue
        position = text.find(char, position)
        if position < 0:
            return False
        position += 1
    return True


def matches(row: AgentRow, query: Query) -> bool:
    if query.states and not query.states & {row.attention.label, row.status, row.screen}:
        return False
    if query.roles and row.role.lower() not in query.roles:
        return False
    if query.runtimes and row.runtime.lower() not in query.runtimes:
        return False
    return fuzzy_match(query.text, row.search_text)


def apply(rows: Iterable[AgentRow], query: Query) -> list[AgentRow]:
    return [row for row in rows if matches(row, query)]
