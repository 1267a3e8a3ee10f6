"""A validation finding: `rule, severity, message, node_id / edge, fix`, and how it is shown."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bosun.pipeline.graph import Edge, Node


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    rule: str
    severity: Severity
    message: str
    fix: str
    node_id: str = ""
    edge: tuple[str, str] | None = None
    line: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "node_id": self.node_id or None,
            "edge": {"from": self.edge[0], "to": self.edge[1]} if self.edge else None,
            "fix": self.fix,
            "line": self.line or None,
        }

    def render(self, source: str = "") -> str:
        where = f"{source}:{self.line}: " if source and self.line else ""
        return f"{where}{self.severity.value}: [{self.rule}] {self.message}\n  fix: {self.fix}"


def node_diagnostic(rule: str, sev: Severity, node: Node, message: str, fix: str) -> Diagnostic:
    return Diagnostic(rule, sev, message, fix, node_id=node.id, line=node.line)


def edge_diagnostic(rule: str, sev: Severity, edge: Edge, message: str, fix: str) -> Diagnostic:
    return Diagnostic(rule, sev, message, fix, edge=(edge.source, edge.target), line=edge.line)
