"""Pure retry policy: budgets, failure-class gating, deterministic jittered backoff, and
the loop_restart guardrails (transient-only, signature circuit breaker, max restarts)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bosun.pipeline.graph import Graph, Node
from bosun.pipeline.nodetypes import Retry
from bosun.pipeline.outcomes import RETRYABLE_CLASSES, FailureClass, Outcome, StageStatus


def _int_attr(value: str) -> int | None:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        return None


def max_retries(node: Node, graph: Graph, default: int = 0) -> int:
    """Node `max_retries` > graph `default_max_retries` (alias `default_max_retry`) > default."""
    for raw in (
        node.get("max_retries"),
        graph.get("default_max_retries"),
        graph.get("default_max_retry"),
    ):
        value = _int_attr(raw) if raw else None
        if value is not None and value >= 0:
            return value
    return max(0, default)


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    reason: str


def decide_retry(node: Node, outcome: Outcome, attempt: int, budget: int) -> RetryDecision:
    """After `attempt` runs (1-based), whether to run the node again.

    The node type's `retry` trait decides: `any_failure` (tool nodes) retries any failure
    up to the budget; `by_class` (agent nodes) only a retryable failure class; `never`
    (start, exit, conditional, human, parallel, fan-in) never retries.
    """
    if not outcome.is_failure:
        return RetryDecision(False, "not a failure")
    rule = node.kind.retry
    if rule is Retry.NEVER:
        return RetryDecision(False, f"{node.type} nodes do not retry")
    if outcome.failure_class == FailureClass.CANCELED:
        return RetryDecision(False, "canceled")
    if attempt > budget:
        return RetryDecision(False, f"retry budget exhausted ({budget})")
    if rule is Retry.ANY_FAILURE:
        return RetryDecision(True, f"{node.type} nodes retry on any failure")
    if outcome.failure_class in {c.value for c in RETRYABLE_CLASSES}:
        return RetryDecision(True, f"failure class {outcome.failure_class} is retryable")
    return RetryDecision(False, f"failure class {outcome.failure_class} is not retryable")


def exhausted_outcome(node: Node, outcome: Outcome) -> Outcome:
    """`allow_partial=true` turns an exhausted failure into partial_success."""
    if outcome.is_failure and node.flag("allow_partial"):
        return outcome.with_status(
            StageStatus.PARTIAL_SUCCESS.value,
            notes=f"allow_partial after: {outcome.failure_reason}",
        )
    if outcome.status == StageStatus.RETRY:
        return outcome.with_status(StageStatus.FAIL.value)
    return outcome


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.2
    factor: float = 2.0
    cap: float = 60.0
    jitter: bool = True

    @classmethod
    def for_node(cls, node: Node, graph: Graph) -> Backoff:
        def pick(key: str) -> str:
            return node.get(f"retry.backoff.{key}") or graph.get(f"retry.backoff.{key}")

        def num(key: str, default: float) -> float:
            try:
                return float(pick(key)) if pick(key) else default
            except ValueError:
                return default

        jitter = pick("jitter").strip().lower() not in ("false", "0", "no")
        return cls(
            num("initial_delay_ms", 200.0) / 1000.0,
            num("backoff_factor", 2.0),
            num("max_delay_ms", 60_000.0) / 1000.0,
            jitter,
        )


def jitter_factor(run_id: str, node_id: str, attempt: int) -> float:
    """A factor in [0.5, 1.5) seeded by SHA-256 of `run_id:node_id:attempt`."""
    digest = hashlib.sha256(f"{run_id}:{node_id}:{attempt}".encode()).digest()
    return 0.5 + int.from_bytes(digest[:8], "big") / 2**64


def backoff_delay(run_id: str, node_id: str, attempt: int, policy: Backoff) -> float:
    """Seconds to wait before retry number `attempt` (1-based)."""
    base = min(policy.cap, policy.initial * policy.factor ** max(0, attempt - 1))
    if not policy.jitter:
        return base
    return min(policy.cap, base * jitter_factor(run_id, node_id, attempt))


# -- loop_restart -------------------------------------------------------------------------

_HEX = re.compile(r"\b[0-9a-f]{6,}\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


def restart_signature(node_id: str, failure_class: str, reason: str) -> str:
    """`node|class|normalised reason`: hex runs → <hex>, digits → <n>, at most 240 chars."""
    text = " ".join(reason.lower().split())
    text = _DIGITS.sub("<n>", _HEX.sub("<hex>", text))
    return f"{node_id}|{failure_class}|{text}"[:240]


class RestartAction(StrEnum):
    RESTART = "restart"
    BLOCKED = "loop_restart_blocked"
    CIRCUIT_BREAKER = "loop_restart_circuit_breaker"
    MAX_RESTARTS = "max_restarts_exceeded"


@dataclass(frozen=True)
class RestartDecision:
    action: RestartAction
    signature: str
    count: int
    reason: str


def decide_loop_restart(
    node_id: str,
    outcome: Outcome,
    signatures: Mapping[str, int],
    signature_limit: int,
    restart_count: int,
    max_restarts: int,
) -> RestartDecision:
    """Whether a selected `loop_restart=true` edge may restart the run."""
    signature = ""
    count = 0
    if outcome.is_failure:
        cls = outcome.failure_class or FailureClass.DETERMINISTIC.value
        signature = restart_signature(node_id, cls, outcome.failure_reason)
        count = signatures.get(signature, 0) + 1
        if cls != FailureClass.TRANSIENT_INFRA:
            return RestartDecision(
                RestartAction.BLOCKED,
                signature,
                count,
                f"loop_restart blocked: failure_class={cls} at {node_id} is not transient_infra "
                f"({outcome.failure_reason})",
            )
        if count >= signature_limit:
            return RestartDecision(
                RestartAction.CIRCUIT_BREAKER,
                signature,
                count,
                f"loop_restart circuit breaker: signature {signature!r} seen {count} times "
                f"(limit {signature_limit})",
            )
    if restart_count + 1 > max_restarts:
        return RestartDecision(
            RestartAction.MAX_RESTARTS, signature, count, f"max_restarts ({max_restarts}) exceeded"
        )
    return RestartDecision(RestartAction.RESTART, signature, count, "restart allowed")
