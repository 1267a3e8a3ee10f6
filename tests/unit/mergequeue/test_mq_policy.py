"""The merge queue's pure decisions: batch size, the adaptive window, bisection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bosun.mergequeue.policy import (
    ADAPTIVE,
    Bisection,
    batch_limit,
    initial_window,
    max_gate_runs,
    next_window,
)


def test_batch_one_always_takes_one_request() -> None:
    assert batch_limit("1", 8) == 1
    assert batch_limit(ADAPTIVE, 8) == 8
    assert batch_limit(ADAPTIVE, 0) == 1


def test_window_grows_by_one_after_green_and_halves_after_red() -> None:
    assert next_window(4, True, 1, 8) == 5
    assert next_window(5, False, 1, 8) == 2
    assert next_window(8, True, 1, 8) == 8  # ceiling
    assert next_window(1, False, 1, 8) == 1  # floor
    assert next_window(3, False, 2, 8) == 2
    assert initial_window(2, 8) == 8


@given(st.integers(1, 64), st.booleans(), st.integers(1, 16), st.integers(1, 16))
def test_window_always_stays_between_floor_and_ceiling(current, green, floor, ceiling) -> None:
    window = next_window(current, green, floor, ceiling)
    assert min(floor, ceiling) <= window <= max(floor, ceiling)


def _bisect(size: int, first_bad: int) -> tuple[Bisection, list[int]]:
    """Run the policy against a chain whose prefixes fail from `first_bad` (1-based) on."""
    state = Bisection.after_red_batch(size)
    probes = []
    while (probe := state.probe()) is not None:
        probes.append(probe)
        state = state.record(probe, green=probe < first_bad)
    return state, probes


def test_bisection_of_eight_isolates_the_fifth_in_three_probes() -> None:
    state, probes = _bisect(8, 5)
    assert probes == [4, 6, 5]
    assert state.culprit == 4
    assert list(state.retest) == [5, 6, 7]
    assert (state.good, state.bad) == (4, 5)  # prefix 4 is known green: it lands


def test_single_request_batch_is_its_own_culprit() -> None:
    state = Bisection.after_red_batch(1)
    assert state.done and state.probe() is None and state.culprit == 0


@given(st.integers(1, 200).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))))
def test_bisection_finds_the_first_failing_request_within_log2_probes(case) -> None:
    size, first_bad = case
    state, probes = _bisect(size, first_bad)
    assert state.culprit == first_bad - 1
    assert 1 + len(probes) <= max_gate_runs(size)
    assert list(state.retest) == list(range(first_bad, size))


def test_recording_outside_the_open_range_is_refused() -> None:
    state = Bisection(8, 2, 6)
    with pytest.raises(ValueError):
        state.record(6, green=True)
    with pytest.raises(ValueError):
        Bisection(8, 2, 6).culprit  # noqa: B018
    with pytest.raises(ValueError):
        Bisection.after_red_batch(0)


def test_max_gate_runs() -> None:
    assert [max_gate_runs(n) for n in (1, 2, 3, 4, 8, 9, 16)] == [1, 2, 3, 3, 4, 5, 5]
