"""Validation: run every rule over a graph. Each diagnostic has `rule, severity, message,
node_id / edge, fix` (`bosun.pipeline.diagnostics`); the rules are in `bosun.pipeline.rules`.

Errors stop a run from starting (`bosun run validate` exits 2); warnings are shown.
"""

from __future__ import annotations

from collections.abc import Callable

from bosun.pipeline.diagnostics import Diagnostic, Severity
from bosun.pipeline.graph import Graph
from bosun.pipeline.rules import check_edges, check_nodes, check_structure

__all__ = ["RULES", "Diagnostic", "Severity", "errors", "validate"]

RULES: tuple[Callable[[Graph], list[Diagnostic]], ...] = (check_structure, check_nodes, check_edges)


def validate(graph: Graph) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for rule in RULES:
        found.extend(rule(graph))
    return sorted(found, key=lambda d: (d.severity != Severity.ERROR, d.line, d.rule))


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.ERROR]
