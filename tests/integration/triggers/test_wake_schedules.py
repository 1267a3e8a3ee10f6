"""The trigger engine under random schedules: a simulated fleet on a fake clock, the real
queue, reconciliation and wake processor on an in-memory SQLite store.

`SimFleet` plays the agents: sessions that start on their hook at once (busy for a while),
work, go idle, crash, and an operator who stops, terminates and restarts them, sometimes
in the very middle of a trigger job (the stop lands inside the fleet call the job makes).
Hypothesis draws the schedules; the properties are the issue's:

- no operator stop is undone: nothing automatic restarts, spawns or types into an identity
  an operator stopped (or terminated) until the operator starts it again;
- no session with unsaved work is killed in order to deliver a message: a trigger never
  restarts a running session, and never types into a busy one;
- a target that is busy for a long time (but less than the job's TTL) gets its message
  once it is idle, without a failed attempt and without the worker waiting on it.

Hours of simulated time run in milliseconds; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bosun.base.clock import FakeClock
from bosun.base.config import default_config
from bosun.base.errors import Conflict, NotFound, RuntimeFailure
from bosun.core.context import Context, memory_context
from bosun.core.records import Identity
from bosun.core.threads import Threads
from bosun.triggers.fleet_seams import AgentFleet, fleet_seams
from bosun.triggers.jobs import PENDING_STATES, JobState
from bosun.triggers.reconcile import reconcile_tick
from bosun.triggers.trigger import queue_for
from bosun.triggers.wake import WakeProcessor

TARGET = "dev/a"
PERSON = "person/ann"
READY_TIMEOUT = 30.0  # what the runtime waits for a ready screen before `not_ready`


@dataclass(frozen=True)
class SimActivity:
    """What the fleet's `activity` answers (the shape of `bosun.agents.activity`'s)."""

    exists: bool
    running: bool
    detail: str
    last_activity: float | None = None
    screen: str | None = None
    stopped: bool = False


@dataclass
class SimSession:
    incarnation: int
    running: bool = True
    ended: str | None = None  # why its end was recorded (None: not recorded)
    busy_until: float = 0.0
    idle_since: float = 0.0


@dataclass
class SimFleet:
    """An `AgentFleet` whose agents are a few fields, on the test's fake clock."""

    ctx: Context
    clock: FakeClock
    thread: str
    start_work: float = 0.0  # a (re)started session works on its hook this long at once
    current: SimSession | None = None
    stopped: bool = False  # the operator stopped or terminated it and has not restarted it
    violations: list[str] = field(default_factory=list)
    delivered: int = 0
    worker_waited: float = 0.0  # seconds the worker spent waiting on a busy screen
    stop_in_flight: bool = False  # the operator stops it during the next fleet call

    # -- what the agent does ----------------------------------------------------------------

    def busy(self) -> bool:
        s = self.current
        return bool(s and s.running and self.clock.now() < s.busy_until)

    def work(self, seconds: float) -> None:
        if self.current is not None and self.current.running:
            now = self.clock.now()
            self.current.busy_until = max(self.current.busy_until, now + seconds)

    def crash(self) -> None:
        if self.current is not None and self.current.running:
            self.current.running = False  # its end is not recorded: the process just died

    def _receive(self) -> None:
        """A message reached the agent: it reads the thread."""
        self.delivered += 1
        Threads(self.ctx).read(self.thread, TARGET)

    # -- what the operator does -------------------------------------------------------------

    def operator_stop(self) -> None:
        if self.current is not None and self.current.ended is None:
            self.current.running = False
            self.current.ended = "stopped by operator"
        self.stopped = True

    def operator_start(self) -> None:
        self._launch(None)
        self.stopped = False

    def _launch(self, message: str | None) -> None:
        incarnation = self.current.incarnation + 1 if self.current else 1
        now = self.clock.now()
        self.current = SimSession(incarnation, busy_until=now + self.start_work, idle_since=now)
        if message:
            self._receive()

    def _maybe_stop_in_flight(self) -> None:
        if self.stop_in_flight:
            self.stop_in_flight = False
            self.operator_stop()

    # -- AgentFleet ---------------------------------------------------------------------------

    def activity(self, role: str, name: str) -> SimActivity:
        s = self.current
        if s is None:
            return SimActivity(False, False, "the identity has no session")
        stopped = s.ended == "stopped by operator"
        if s.ended is not None or not s.running:
            return SimActivity(True, False, f"ended: {s.ended or 'crashed'}", stopped=stopped)
        now = self.clock.now()
        busy = now < s.busy_until
        return SimActivity(
            True,
            True,
            f"sim-{s.incarnation}",
            now if busy else max(s.idle_since, s.busy_until),
            screen="busy" if busy else "ready",
        )

    def session(self, role: str, name: str) -> object | None:
        return self.current

    def send(self, role: str, name: str, text: str) -> Mapping[str, Any]:
        self._maybe_stop_in_flight()
        s = self.current
        if s is None or s.ended is not None:
            raise NotFound(f"{TARGET} has no running session", "start one")
        if not s.running:
            raise RuntimeFailure("the session is not running", "restart it", code="session_dead")
        if self.busy():
            # the runtime waits for a ready screen, then gives up: the worker is blocked
            waited = min(READY_TIMEOUT, s.busy_until - self.clock.now())
            self.worker_waited += waited
            self.clock.advance(waited)
            if self.busy():
                raise RuntimeFailure("not ready", "busy", code="not_ready")
        self._receive()
        return {"bytes": len(text), "verified": True}

    def restart(
        self,
        role: str,
        name: str,
        *,
        fresh: bool = False,
        reason: str = "restart",
        ended: str | None = None,
        message: str | None = None,
        automatic: bool = False,
        replace_running: bool = True,
    ) -> object:
        self._maybe_stop_in_flight()
        if automatic and self.stopped:
            raise Conflict(f"{TARGET} was stopped by an operator", "start it yourself")
        if not replace_running and self.current is not None and self.current.running:
            raise Conflict(f"{TARGET} is running", "not replaced")
        if self.stopped:
            self.violations.append(f"{reason}: restarted an identity the operator stopped")
        if self.current is not None and self.current.running:
            self.violations.append(f"{reason}: killed a running session to deliver a message")
        self._launch(message)
        return self.current

    def spawn_identity(self, identity: Identity, prompt: str) -> object:
        self._maybe_stop_in_flight()
        if self.stopped:
            self.violations.append("spawned an identity the operator stopped")
        if self.current is not None and self.current.running:
            self.violations.append("spawned over a running session")
        self._launch(prompt)
        return self.current


@contextmanager
def rig(start_work: float) -> Iterator[tuple[Context, FakeClock, SimFleet]]:
    clock = FakeClock()
    ctx = memory_context(clock, default_config())
    try:
        ctx.identities.create("dev", "a", runtime="sim", session_id="s-a")
        thread = Threads(ctx).create("review", [TARGET, PERSON]).id
        fleet = SimFleet(ctx, clock, thread, start_work=start_work)
        fleet.operator_start()
        yield ctx, clock, fleet
    finally:
        ctx.close()


def run_worker(ctx: Context, fleet: SimFleet) -> None:
    """One pass of the worker: reconcile, then process every job that is due now."""
    typed: AgentFleet = fleet
    processor = WakeProcessor(ctx, fleet_seams(typed))
    queue = queue_for(ctx)
    reconcile_tick(ctx, queue)
    for _ in range(20):
        leases = queue.claim("w-sim", 4)
        if not leases:
            return
        for lease in leases:
            processor(lease, queue)


def settle(ctx: Context, fleet: SimFleet, clock: FakeClock, horizon: float) -> None:
    """Run the worker from event to event (the next job due) until nothing is pending or
    `horizon` seconds have passed: hours of simulated time in a few dozen passes."""
    end = clock.now() + horizon
    for _ in range(400):
        run_worker(ctx, fleet)
        pending = [j for j in queue_for(ctx).list(limit=1000) if j.state in PENDING_STATES]
        if not pending or clock.now() >= end:
            return
        due = min(j.run_after for j in pending)
        clock.advance(min(max(due - clock.now(), 0.0) + 0.001, max(end - clock.now(), 0.0)))


def post(ctx: Context, fleet: SimFleet, n: int) -> None:
    Threads(ctx).post(fleet.thread, f"message {n}", author=PERSON)


STEPS = st.one_of(
    st.tuples(st.just("post")),
    st.tuples(st.just("worker")),
    st.tuples(st.just("advance"), st.floats(0.5, 900.0)),
    st.tuples(st.just("work"), st.floats(1.0, 3 * 3600.0)),
    st.tuples(st.just("crash")),
    st.tuples(st.just("stop")),
    st.tuples(st.just("stop_in_flight")),
    st.tuples(st.just("terminate")),
    st.tuples(st.just("operator_start")),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=st.lists(STEPS, min_size=1, max_size=40), start_work=st.floats(0.0, 600.0))
def test_no_operator_stop_is_undone_and_no_working_session_is_killed_for_a_message(
    schedule: list[tuple[Any, ...]], start_work: float
) -> None:
    with rig(start_work) as (ctx, clock, fleet):
        terminated = False
        for n, step in enumerate(schedule):
            kind = step[0]
            if kind == "post":
                post(ctx, fleet, n)
            elif kind == "worker":
                run_worker(ctx, fleet)
            elif kind == "advance":
                clock.advance(step[1])
            elif kind == "work":
                fleet.work(step[1])
            elif kind == "crash":
                fleet.crash()
            elif kind == "stop":
                fleet.operator_stop()
            elif kind == "stop_in_flight":
                fleet.stop_in_flight = True
            elif kind == "terminate":
                fleet.operator_stop()
                ctx.identities.mark_terminated("dev", "a", "retired by the operator")
                terminated = True
            elif kind == "operator_start" and not terminated:
                fleet.operator_start()
                fleet.stop_in_flight = False
        # and after the schedule, the worker keeps running for a day
        settle(ctx, fleet, clock, 24 * 3600.0)
        assert fleet.violations == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    busy=st.lists(st.floats(1.0, 4 * 3600.0), min_size=1, max_size=4),
    gaps=st.lists(st.floats(0.0, 120.0), min_size=4, max_size=4),
    start_work=st.floats(0.0, 600.0),
    crash_first=st.booleans(),
)
def test_a_target_busy_for_hours_gets_its_message_once_idle_without_failures(
    busy: list[float], gaps: list[float], start_work: float, crash_first: bool
) -> None:
    with rig(start_work) as (ctx, clock, fleet):
        post(ctx, fleet, 0)
        if crash_first:
            fleet.crash()
        for n, (seconds, gap) in enumerate(zip(busy, gaps, strict=False)):
            fleet.work(seconds)
            run_worker(ctx, fleet)
            clock.advance(gap)
            post(ctx, fleet, n + 1)
            run_worker(ctx, fleet)
        settle(ctx, fleet, clock, 5 * 3600.0)
        jobs = queue_for(ctx).list(limit=1000)
        assert [j for j in jobs if j.state in PENDING_STATES] == []
        assert {j.state for j in jobs} <= {JobState.COMPLETED}, [(j.state, j.outcome) for j in jobs]
        assert all(j.failures == 0 for j in jobs), [(j.outcome, j.last_reason) for j in jobs]
        assert fleet.worker_waited == 0.0
        assert fleet.violations == []
        assert Threads(ctx).unread_for(TARGET) == [] or all(
            v.unread == 0 for v in Threads(ctx).unread_for(TARGET)
        )
