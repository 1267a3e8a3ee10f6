"""Properties of supervision over random schedules (Hypothesis), on the real engine and a
fake clock (simworld.py):

- every identity that keeps failing ends escalated or quarantined within the bound that
  docs/supervisor.md states (`policies/bounds.py`);
- no healthy agent (one that keeps making progress) is ever restarted.

The supervisor ticks every 20 simulated seconds here (the bounds are computed for that
tick), so a few simulated hours cost a second or two of CPU per schedule.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simworld import Behaviour, CrashLooper, Hanger, HealthyWorker, NudgeIgnorer, Sim, make_sim

TICK = 20.0
BASE = "/dev/shm" if Path("/dev/shm").is_dir() else None

healthy = st.builds(
    HealthyWorker,
    draw_every=st.floats(20, 400),
    checkpoint_every=st.floats(60, 2400),
    pause=st.sampled_from([0.0, 60.0, 200.0]),
)
failing = st.one_of(
    st.builds(Hanger, work_for=st.sampled_from([0.0, 0.0, 60.0, 300.0])),
    st.builds(CrashLooper, after=st.sampled_from([0.5, 30.0, 200.0, 500.0])),
    st.just(NudgeIgnorer()),
)


def bound(sim: Sim, behaviour: Behaviour) -> float:
    b = sim.bounds()
    if isinstance(behaviour, Hanger):
        return b.stalled() if behaviour.work_for == 0 else b.repeating_stall(behaviour.work_for)
    if isinstance(behaviour, CrashLooper):
        return b.crash_loop(behaviour.after)
    return b.stale()


def ended(sim: Sim, ref: str) -> bool:
    return sim.escalated_at(ref) is not None or sim.status(ref) == "quarantined"


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    bad=st.lists(failing, min_size=1, max_size=2),
    good=st.lists(healthy, min_size=0, max_size=1),
    offset=st.floats(0, 300),
)
def test_failing_agents_end_visibly_in_bound_and_healthy_ones_are_never_restarted(
    bad: list[Behaviour], good: list[Behaviour], offset: float
) -> None:
    root = Path(tempfile.mkdtemp(prefix="bosun-prop-", dir=BASE))
    sim = make_sim(root, overrides={"supervisor.tick_interval": TICK})
    try:
        start = sim.clock.now()
        healthy_refs = [sim.spawn(f"good{i}", b) for i, b in enumerate(good)]
        sim.run(offset, step=TICK)
        failing_refs = {sim.spawn(f"bad{i}", b): b for i, b in enumerate(bad)}
        spawned = sim.clock.now()
        deadline = max(bound(sim, b) for b in bad)
        sim.run(
            deadline + TICK,
            step=TICK,
            until=lambda: all(ended(sim, r) for r in failing_refs),
        )
        for ref, behaviour in failing_refs.items():
            assert ended(sim, ref), f"{ref} ({behaviour}) never escalated nor quarantined"
            at = sim.escalated_at(ref)
            assert at is not None and at - spawned <= bound(sim, behaviour), (ref, behaviour)
        for ref in healthy_refs:
            assert sim.restarts(ref) == 0 and sim.incarnation(ref) == 1, ref
            assert sim.escalated_at(ref) is None, ref
        assert sim.clock.now() >= start
    finally:
        sim.ctx.close()
        shutil.rmtree(root, ignore_errors=True)
