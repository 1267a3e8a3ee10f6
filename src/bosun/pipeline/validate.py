"""Validation: run every rule over a graph. Each diagnostic has `rule, severity, message,
node_id / edge, fix` (`bosun.pipeline.diagnostics`); the rules are in `bosun.pipeline.rules`.

Errors stop a run from starting (`bosun run validate` exits 2); warnings are shown.
"""

from __future__ import annotations

from collections.abc import Callable

from bosun.pipeline.diagnostics import Diagnostic, Severity
from bosun.pipeline.graph import Graph
from bosun.pipeline.lint import check_kilroy_lint, check_spec_lint, check_unused_attributes
from bosun.pipeline.rules import check_edges, check_nodes, check_structure

__all__ = ["RULES", "Diagnostic", "Severity", "errors", "validate", "warnings"]

RULES: tuple[Callable[[Graph], list[Diagnostic]], ...] = (
    check_structure,
    check_nodes,
    check_edges,
    check_spec_lint,
    check_kilroy_lint,
    check_unused_attributes,
)
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def validate(graph: Graph) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for rule in RULES:
        found.extend(rule(graph))
    return sorted(found, key=lambda d: (_RANK[d.severity], d.line, d.rule))


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.ERROR]


def warnings(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.WARNING]
