"""Retry budgets, failure classes, deterministic jittered backoff, restart guardrails."""

from __future__ import annotations

import pytest

from bosun.pipeline.dot import parse_dot
from bosun.pipeline.gitrun import build_branch_name, parallel_branch, run_branch
from bosun.pipeline.outcomes import FailureClass, Outcome, classify_failure, failure
from bosun.pipeline.retry import (
    Backoff,
    RestartAction,
    backoff_delay,
    decide_loop_restart,
    decide_retry,
    exhausted_outcome,
    jitter_factor,
    max_retries,
    restart_signature,
)

G = parse_dot("""digraph { default_max_retries=2
  t [shape=parallelogram, tool_command="x"]; t5 [shape=parallelogram, max_retries=5]
  a [prompt="p"]; c [shape=diamond]; p [prompt="p", allow_partial=true] }""")
N = G.nodes


def test_budget_precedence_node_then_graph_then_default() -> None:
    assert max_retries(N["t5"], G) == 5
    assert max_retries(N["t"], G) == 2
    bare = parse_dot("digraph { t [shape=parallelogram] }")
    assert max_retries(bare.nodes["t"], bare) == 0
    assert max_retries(bare.nodes["t"], bare, default=4) == 4


@pytest.mark.parametrize(
    ("reason", "cls"),
    [
        ("tool_command timed out after 1s", FailureClass.TRANSIENT_INFRA),
        ("HTTP 503 from upstream", FailureClass.TRANSIENT_INFRA),
        ("rate limit reached", FailureClass.TRANSIENT_INFRA),
        ("max_tokens exceeded", FailureClass.BUDGET_EXHAUSTED),
        ("scope violation: edited /etc", FailureClass.STRUCTURAL),
        ("canceled by SIGTERM", FailureClass.CANCELED),
        ("exit status 1", FailureClass.DETERMINISTIC),
        ("", FailureClass.DETERMINISTIC),
    ],
)
def test_failure_class_from_reason(reason: str, cls: FailureClass) -> None:
    assert classify_failure(reason) is cls


def test_explicit_class_and_aliases_win() -> None:
    assert classify_failure("exit 1", "transient") is FailureClass.TRANSIENT_INFRA
    assert classify_failure("timeout", "deterministic") is FailureClass.DETERMINISTIC


def test_agent_nodes_retry_only_retryable_classes_tool_nodes_any_failure() -> None:
    transient = failure("timeout", FailureClass.TRANSIENT_INFRA)
    hard = failure("exit 1", FailureClass.DETERMINISTIC)
    assert decide_retry(N["a"], transient, 1, 2).retry
    assert not decide_retry(N["a"], hard, 1, 2).retry
    assert decide_retry(N["t"], hard, 1, 2).retry
    assert not decide_retry(N["t"], hard, 3, 2).retry  # budget spent
    assert not decide_retry(N["t"], failure("x", FailureClass.CANCELED), 1, 2).retry
    assert not decide_retry(N["c"], transient, 1, 5).retry  # conditional never retries
    assert not decide_retry(N["t"], Outcome("success"), 1, 2).retry


def test_allow_partial_turns_exhaustion_into_partial_success() -> None:
    assert exhausted_outcome(N["p"], failure("x")).status == "partial_success"
    assert exhausted_outcome(N["a"], Outcome("retry")).status == "fail"


def test_backoff_is_exponential_capped_and_deterministic() -> None:
    plain = Backoff(jitter=False)
    assert [backoff_delay("r", "n", a, plain) for a in (1, 2, 3, 4)] == [0.2, 0.4, 0.8, 1.6]
    assert backoff_delay("r", "n", 30, plain) == 60.0
    jittered = Backoff()
    first = [backoff_delay("run1", "n", a, jittered) for a in range(1, 6)]
    assert first == [backoff_delay("run1", "n", a, jittered) for a in range(1, 6)]
    assert first != [backoff_delay("run2", "n", a, jittered) for a in range(1, 6)]
    for a in range(1, 40):
        assert 0.5 <= jitter_factor("run1", "n", a) < 1.5
        assert backoff_delay("run1", "n", a, jittered) <= 60.0


def test_backoff_settings_from_the_node_or_graph() -> None:
    g = parse_dot(
        "digraph { retry.backoff.initial_delay_ms=100; t [retry.backoff.jitter=false, "
        "retry.backoff.backoff_factor=3] }"
    )
    policy = Backoff.for_node(g.nodes["t"], g)
    assert policy == Backoff(0.1, 3.0, 60.0, False)


def test_restart_signature_normalises_hex_and_digits() -> None:
    sig = restart_signature("n", "transient_infra", "Timeout after 30s at deadbeef12")
    assert sig == "n|transient_infra|timeout after <n>s at <hex>"
    assert len(restart_signature("n", "x", "y" * 1000)) == 240


def test_loop_restart_only_for_transient_failures() -> None:
    d = decide_loop_restart("n", failure("exit 1", FailureClass.DETERMINISTIC), {}, 3, 0, 50)
    assert d.action is RestartAction.BLOCKED
    assert "failure_class=deterministic" in d.reason
    ok = decide_loop_restart("n", failure("timeout", FailureClass.TRANSIENT_INFRA), {}, 3, 0, 50)
    assert ok.action is RestartAction.RESTART and ok.count == 1


def test_loop_restart_circuit_breaker_and_max_restarts() -> None:
    out = failure("timed out after 2s", FailureClass.TRANSIENT_INFRA)
    sig = restart_signature("n", "transient_infra", out.failure_reason)
    assert decide_loop_restart("n", out, {sig: 1}, 3, 1, 50).action is RestartAction.RESTART
    assert decide_loop_restart("n", out, {sig: 2}, 3, 2, 50).action is RestartAction.CIRCUIT_BREAKER
    assert (
        decide_loop_restart("n", Outcome("success"), {}, 3, 5, 5).action
        is RestartAction.MAX_RESTARTS
    )


@pytest.mark.parametrize("prefix", ["bosun/run", "/bosun/run/", " bosun/run ", "team/x/"])
def test_branch_names_come_from_one_builder_and_never_start_with_a_slash(prefix: str) -> None:
    plain = run_branch(prefix, "r1")
    par = parallel_branch(prefix, "r1", "fan", "child")
    assert not plain.startswith("/") and not par.startswith("/")
    assert plain == prefix.strip().strip("/") + "/r1"
    assert par == prefix.strip().strip("/") + "/parallel/r1/fan/child"


@pytest.mark.parametrize("prefix", ["", "/", "  "])
def test_an_empty_branch_prefix_is_refused(prefix: str) -> None:
    from bosun.base.errors import ConfigError

    with pytest.raises(ConfigError):
        build_branch_name(prefix, "r1")
