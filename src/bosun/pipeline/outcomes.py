"""What a stage returns, the failure classes, and how a class is chosen from a reason."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bosun.pipeline.conditions import canonical_outcome


class StageStatus(StrEnum):
    SUCCESS = "success"
    PARTIAL_SUCCESS = "partial_success"
    RETRY = "retry"
    FAIL = "fail"
    SKIPPED = "skipped"


class FailureClass(StrEnum):
    TRANSIENT_INFRA = "transient_infra"
    BUDGET_EXHAUSTED = "budget_exhausted"
    COMPILATION_LOOP = "compilation_loop"
    DETERMINISTIC = "deterministic"
    CANCELED = "canceled"
    STRUCTURAL = "structural"


RETRYABLE_CLASSES = frozenset(
    {FailureClass.TRANSIENT_INFRA, FailureClass.BUDGET_EXHAUSTED, FailureClass.COMPILATION_LOOP}
)
_CLASS_ALIASES = {
    "transient": FailureClass.TRANSIENT_INFRA,
    "infra": FailureClass.TRANSIENT_INFRA,
    "budget": FailureClass.BUDGET_EXHAUSTED,
    "cancelled": FailureClass.CANCELED,
    "scope": FailureClass.STRUCTURAL,
}
_TRANSIENT = re.compile(
    r"timeout|timed out|connection reset|connection refused|rate.?limit|too many requests|"
    r"\b429\b|\b50[234]\b|temporar|dns|name resolution|stream disconnected|econnreset|"
    r"unavailable|overloaded",
    re.IGNORECASE,
)
_BUDGET = re.compile(r"turn limit|max_tokens|max tokens|context length|budget", re.IGNORECASE)
_STRUCTURAL = re.compile(r"scope violation|structural", re.IGNORECASE)
_CANCELED = re.compile(r"cancel+ed|canceled|interrupted by signal", re.IGNORECASE)


def normalise_failure_class(value: str) -> FailureClass | None:
    text = value.strip().lower()
    if not text:
        return None
    try:
        return FailureClass(text)
    except ValueError:
        return _CLASS_ALIASES.get(text)


def classify_failure(reason: str, explicit: str = "") -> FailureClass:
    """The explicit class when it is a known one, else the class the reason's words suggest."""
    known = normalise_failure_class(explicit)
    if known is not None:
        return known
    if _CANCELED.search(reason):
        return FailureClass.CANCELED
    if _TRANSIENT.search(reason):
        return FailureClass.TRANSIENT_INFRA
    if _BUDGET.search(reason):
        return FailureClass.BUDGET_EXHAUSTED
    if _STRUCTURAL.search(reason):
        return FailureClass.STRUCTURAL
    return FailureClass.DETERMINISTIC


@dataclass(frozen=True)
class Outcome:
    """A stage's result. `status` is a StageStatus value or a custom lowercase outcome."""

    status: str
    preferred_label: str = ""
    suggested_next_ids: tuple[str, ...] = ()
    context_updates: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    failure_reason: str = ""
    failure_class: str = ""
    jump_to: str = ""  # engine-internal: continue at this node (fan-out → fan-in)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", canonical_outcome(self.status) or "fail")
        if self.is_failure and not self.failure_reason:
            object.__setattr__(self, "failure_reason", f"stage returned {self.status}")
        if self.is_failure and not self.failure_class:
            object.__setattr__(self, "failure_class", classify_failure(self.failure_reason).value)

    @property
    def is_failure(self) -> bool:
        return self.status in (StageStatus.FAIL, StageStatus.RETRY)

    @property
    def is_success(self) -> bool:
        return self.status in (StageStatus.SUCCESS, StageStatus.PARTIAL_SUCCESS)

    @property
    def satisfies_gate(self) -> bool:
        """Goal gates accept success and partial_success; skipped does not satisfy a gate."""
        return self.is_success

    def with_status(self, status: str, **changes: Any) -> Outcome:
        return replace(self, status=status, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "preferred_label": self.preferred_label,
            "suggested_next_ids": list(self.suggested_next_ids),
            "context_updates": self.context_updates,
            "notes": self.notes,
            "failure_reason": self.failure_reason,
            "failure_class": self.failure_class,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        """Also accepts the legacy shape (`outcome`, `preferred_next_label`)."""
        status = str(data.get("status") or data.get("outcome") or "fail")
        return cls(
            status=status,
            preferred_label=str(
                data.get("preferred_label") or data.get("preferred_next_label") or ""
            ),
            suggested_next_ids=tuple(str(x) for x in data.get("suggested_next_ids") or ()),
            context_updates=dict(data.get("context_updates") or {}),
            notes=str(data.get("notes") or ""),
            failure_reason=str(data.get("failure_reason") or ""),
            failure_class=str(data.get("failure_class") or ""),
        )


def success(**changes: Any) -> Outcome:
    return Outcome(StageStatus.SUCCESS.value, **changes)


def failure(reason: str, failure_class: FailureClass | str = "", **changes: Any) -> Outcome:
    cls = failure_class.value if isinstance(failure_class, FailureClass) else failure_class
    return Outcome(StageStatus.FAIL.value, failure_reason=reason, failure_class=cls, **changes)
