"""The pure parts of the chain: layer names, prompt variables, forward phase walks and the
runner's state transitions (no processes)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bosun.base.errors import IllegalTransition
from bosun.base.names import NAME_RE
from bosun.chain.names import expand_prompt, node_name, orchestrator_ref, run_name, safe_name
from bosun.chain.phases import forward_path
from bosun.chain.records import RunnerState, RunnerStatus
from bosun.core.records import Phase


def test_generated_run_ids_and_plain_node_ids_pass_unchanged() -> None:
    assert run_name("20260301-120000-a1b2c3") == "20260301-120000-a1b2c3"
    assert orchestrator_ref("20260301-120000-a1b2c3", "impl_auth") == (
        "orchestrator/20260301-120000-a1b2c3-impl_auth"
    )


def test_names_that_must_change_get_a_hash_and_stay_distinct() -> None:
    assert node_name("Run-1", "Impl") != node_name("run-1", "impl")
    assert node_name("run-1", "impl") == "run-1-impl"
    long = node_name("r" * 100, "node")
    assert len(long) == 63 and NAME_RE.match(long)
    assert long != node_name("r" * 99, "node")
    assert not safe_name("x.lock").endswith(".lock")


@given(st.text(min_size=1, max_size=120), st.text(min_size=1, max_size=80))
def test_every_run_and_node_id_gives_a_valid_stable_name(run_id: str, node: str) -> None:
    name = node_name(run_id, node)
    assert NAME_RE.match(name) and ".." not in name and not name.endswith(".")
    assert name == node_name(run_id, node)


def test_prompt_variables_are_expanded_and_shell_variables_left_alone() -> None:
    text = 'signal $runner; mv x "$status_path"; echo $HOME $unknown'
    out = expand_prompt(text, {"runner": "runner/r-n", "status_path": "/s.json"})
    assert out == 'signal runner/r-n; mv x "/s.json"; echo $HOME $unknown'


def test_hooks_only_move_forward_along_the_shortest_legal_walk() -> None:
    P = Phase
    assert forward_path(P.ASSIGNED, P.EXECUTING) == [P.EXECUTING]
    assert forward_path(P.EXECUTING, P.VALIDATING) == [P.IMPL_COMPLETE, P.VALIDATING]
    assert forward_path(P.VALIDATING, P.MERGED) == [P.MERGED]
    assert forward_path(P.MERGED, P.EXECUTING) == []
    assert forward_path(P.IMPL_COMPLETE, P.IMPL_COMPLETE) == []
    assert forward_path(P.BLOCKED, P.MERGED) == []


def test_runner_states_move_only_along_their_transitions() -> None:
    S = RunnerStatus
    state = RunnerState(S.STARTING, "runner/x", "orchestrator/x", 1, None)
    state = state.moved(S.LAUNCHING, 10.0).moved(S.RUNNING, 11.0).moved(S.MERGING, 12.0)
    done = state.moved(S.DONE, 13.0, outcome={"status": "success"})
    assert [s for s, _ in done.history] == ["launching", "running", "merging", "done"]
    assert RunnerState.from_json(done.to_json()) == done
    with pytest.raises(IllegalTransition):
        done.moved(S.RUNNING)
    with pytest.raises(IllegalTransition):
        RunnerState(S.STARTING, "runner/x", "orchestrator/x", 1, None).moved(S.MERGING)
