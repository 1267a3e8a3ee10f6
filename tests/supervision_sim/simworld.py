"""The supervision simulator: the real supervisor engine, on a fake clock, against scripted
agent behaviours.

Everything above the runtime driver is bosun's own code: the `Supervisor` tick (observe →
detect → verify → ladder → patrol), `Recovery`, `Patrol`, the resume queue, the real
`Fleet` (spawn, seance restart, stop) and the core services on an in-memory SQLite store.
Only the driver is replaced: `ScriptedRuntime` (the fake runtime next to the protocol,
moved by the fake clock) draws each agent's screen the way the sim agent does (`sim>`
composer, `esc to interrupt` busy line, typed text echoed) and lets a `Behaviour` decide,
step by step, what the agent does: work and checkpoint, hang, crash, ignore what is typed.

A loop step does what `bosun supervise` does each tick (`process.py`): the agents act,
then `tick()`, `settle_responses()` and one resume-queue revival. Hours of simulated time
take seconds.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bosun.agents.fleet import Fleet, SpawnRequest
from bosun.base.clock import FakeClock
from bosun.base.config import default_config, load_config
from bosun.base.paths import ProjectPaths
from bosun.core.context import Context
from bosun.runtime.fake import FakeRuntime, FakeSession
from bosun.runtime.presets import Preset
from bosun.runtime.protocol import LaunchSpec, SessionHandle
from bosun.store.sqlite import SqliteStore
from bosun.supervisor import recovery_log as log
from bosun.supervisor.engine import Supervisor
from bosun.supervisor.policies.bounds import Bounds
from bosun.supervisor.policies.ladder import RESTARTING
from bosun.supervisor.typed_settings import SupervisorSettings, validate_supervisor_config

READY = "sim> "
BUSY = "✻ Working… (esc to interrupt)"


@dataclass
class Agent:
    """One incarnation's process, as the behaviour drives it."""

    spec: LaunchSpec
    fake: FakeSession
    started_at: float
    typed: list[float] = field(default_factory=list)  # when text was typed into it
    state: dict[str, float] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.spec.role}/{self.spec.name}"


class World:
    """What the behaviours can do to the project (heartbeat, checkpoint) and the screen."""

    def __init__(self, ctx: Context, runtime: ScriptedRuntime) -> None:
        self.ctx = ctx
        self.runtime = runtime

    def draw(self, agent: Agent, line: str, *, busy: bool) -> None:
        agent.fake.lines = [*agent.fake.lines[-20:-1], line, BUSY if busy else READY]

    def idle(self, agent: Agent) -> None:
        if agent.fake.lines[-1] != READY:
            agent.fake.lines = [*agent.fake.lines[-20:-1], READY]

    def busy(self, agent: Agent) -> None:
        if agent.fake.lines[-1] != BUSY:
            agent.fake.lines = [*agent.fake.lines[-20:-1], BUSY]

    def heartbeat(self, agent: Agent) -> None:
        self.ctx.identities.heartbeat(agent.spec.role, agent.spec.name)

    def checkpoint(self, agent: Agent, note: str) -> None:
        self.ctx.hooks.checkpoint(agent.spec.role, agent.spec.name, note)
        self.heartbeat(agent)

    def write_context(self, agent: Agent, pct: float) -> None:
        assert self.ctx.paths is not None
        path = self.ctx.paths.context_file(agent.spec.role, agent.spec.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"used_percentage": pct}))

    def exit(self, agent: Agent, code: int) -> None:
        agent.fake.exit_code = code


class Behaviour:
    """How one identity's sessions behave; `act` runs once per loop step for a live one."""

    name = "behaviour"
    healthy = False  # keeps making progress: must never be restarted

    def start(self, world: World, agent: Agent, now: float) -> None:
        """The session has just started: it primes (a heartbeat) and shows its screen."""
        world.heartbeat(agent)
        world.draw(agent, f"● primed {agent.ref} at {now:.0f}", busy=True)

    def context(self, world: World, agent: Agent) -> None:
        """Its status line reports 10 % of the context window used (as the sim agent's)."""
        world.write_context(agent, 10.0)

    def act(self, world: World, agent: Agent, now: float) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class HealthyWorker(Behaviour):
    """Works steadily: its screen moves every `draw_every` s, it checkpoints every
    `checkpoint_every` s, and sometimes idles at its prompt for `pause` s between steps."""

    healthy = True

    def __init__(self, draw_every: float, checkpoint_every: float, pause: float = 0.0) -> None:
        self.draw_every = draw_every
        self.checkpoint_every = checkpoint_every
        self.pause = pause

    def act(self, world: World, agent: Agent, now: float) -> None:
        st = agent.state
        if now - st.get("drawn", agent.started_at) >= self.draw_every:
            st["drawn"] = now
            world.draw(agent, f"● tool call at {now:.0f}", busy=True)
        if now - st.get("checkpoint", agent.started_at) >= self.checkpoint_every:
            st["checkpoint"] = now
            st["paused"] = now
            world.checkpoint(agent, f"step done at {now:.0f}")
            if self.pause:
                world.idle(agent)
        if self.pause and now - st.get("paused", -1e18) < self.pause:
            world.idle(agent)
        else:
            world.busy(agent)


class Hanger(Behaviour):
    """Works (screen only, no checkpoint) for `work_for` s after every start, then stays
    busy for ever with nothing moving: the same stall in every incarnation."""

    def __init__(self, work_for: float = 0.0) -> None:
        self.work_for = work_for

    def act(self, world: World, agent: Agent, now: float) -> None:
        if now - agent.started_at < self.work_for:
            world.draw(agent, f"● thinking at {now:.0f}", busy=True)
        else:
            world.busy(agent)


class NudgeIgnorer(Behaviour):
    """Sits at its prompt with work on its hook; whatever is typed shows on the screen and
    is never acted on: no heartbeat, no progress."""

    def start(self, world: World, agent: Agent, now: float) -> None:
        world.heartbeat(agent)
        world.draw(agent, f"● primed {agent.ref}", busy=False)

    def act(self, world: World, agent: Agent, now: float) -> None:
        world.idle(agent)


class CrashLooper(Behaviour):
    """Exits with `code` `after` s into every incarnation (`after` < 1: dies at once, as
    it starts); code 0 is a clean exit mid-work (the resume queue's case)."""

    def __init__(self, after: float, code: int = 1) -> None:
        self.after = after
        self.code = code

    def start(self, world: World, agent: Agent, now: float) -> None:
        super().start(world, agent, now)
        if self.after < 1:
            world.exit(agent, self.code)

    def act(self, world: World, agent: Agent, now: float) -> None:
        if now - agent.started_at >= self.after:
            world.exit(agent, self.code)
        else:
            world.draw(agent, f"● working at {now:.0f}", busy=True)


class ScriptedRuntime(FakeRuntime):
    """The fake runtime on the fake clock, with a behaviour per identity. Typed text is
    echoed on the screen as a terminal does (that echo is not the agent's work)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.behaviours: dict[str, Behaviour] = {}
        self.agents: dict[str, Agent] = {}
        self.world: World | None = None

    def launch(self, spec: LaunchSpec) -> SessionHandle:
        handle = super().launch(spec)
        now = self.clock.now()
        handle = SessionHandle(**{**handle.__dict__, "started_at": now})
        fake = self.sessions[handle.target]
        fake.lines = [f"cwd {spec.cwd}", READY]
        agent = Agent(spec, fake, now)
        self.agents[handle.target] = agent
        return handle

    def press(self, handle: SessionHandle, key: str) -> None:
        super().press(handle, key)
        agent = self.agents.get(handle.target)
        if agent is not None and key not in ("Enter", "Escape", "C-c"):
            agent.typed.append(self.clock.now())
            lines = agent.fake.lines
            agent.fake.lines = [*lines[-20:-1], f"> {key[:70]}", lines[-1]]

    def send(self, handle: SessionHandle, text: str, *, submit: bool = True):  # type: ignore[no-untyped-def]
        delivery = super().send(handle, text, submit=submit)
        agent = self.agents.get(handle.target)
        if agent is not None:
            agent.typed.append(self.clock.now())
        return delivery

    def last_activity(self, handle: SessionHandle) -> float | None:
        return None  # the supervisor captures every look (the stamp is wall time)

    def step(self, now: float) -> None:
        assert self.world is not None
        for target, agent in list(self.agents.items()):
            if target not in self.sessions or not agent.fake.alive:
                continue
            behaviour = self.behaviours[agent.ref]
            if "started" not in agent.state:
                agent.state["started"] = now  # it primes on its first step
                behaviour.context(self.world, agent)
                behaviour.start(self.world, agent, now)
            else:
                behaviour.act(self.world, agent, now)


class SimFleet(Fleet):
    """The real fleet; presets are read once (the real one re-reads the preset files on
    every lookup, which is most of a simulated tick's cost)."""

    @functools.cache  # noqa: B019 - one fleet per simulation
    def preset(self, name: str) -> Preset:
        return super().preset(name)


@dataclass
class Sim:
    ctx: Context
    clock: FakeClock
    runtime: ScriptedRuntime
    fleet: Fleet
    supervisor: Supervisor
    settings: SupervisorSettings
    refs: list[str] = field(default_factory=list)

    def spawn(self, name: str, behaviour: Behaviour, role: str = "polecat") -> str:
        ref = f"{role}/{name}"
        self.runtime.behaviours[ref] = behaviour
        work = self.ctx.work.create(f"task of {name}", body="simulated")
        self.fleet.spawn(
            SpawnRequest(name=name, role=role, preset="sim", work_id=work.id, worktree="none")
        )
        self.refs.append(ref)
        return ref

    def run(
        self, seconds: float, step: float | None = None, until: Callable[[], bool] | None = None
    ) -> float:
        """Advance `seconds` of simulated time, one supervisor tick per `step`."""
        step = step or self.settings.tick_interval
        end = self.clock.now() + seconds
        while self.clock.now() < end:
            self.clock.advance(step)
            now = self.clock.now()
            self.runtime.step(now)
            self.supervisor.tick()
            self.supervisor.patrol.settle_responses()
            self.supervisor.drain_resume_queue()
            if until is not None and until():
                break
        return self.clock.now()

    # -- what happened ------------------------------------------------------------------

    def status(self, ref: str) -> str:
        role, name = ref.split("/", 1)
        return str(self.ctx.identities.get(role, name).status)

    def incarnation(self, ref: str) -> int:
        role, name = ref.split("/", 1)
        return self.ctx.identities.get(role, name).incarnation

    def attempts(self, ref: str) -> list[log.Attempt]:
        with self.ctx.store.transaction(write=False) as tx:
            return log.attempt_history(tx, ref)

    def escalated_at(self, ref: str) -> float | None:
        """When the identity was first escalated or quarantined (its first ESCALATION)."""
        events = self.ctx.events.since(0, kind="supervisor.escalated", subject=ref, limit=10)
        return events[0].ts if events else None

    def restarts(self, ref: str) -> int:
        """How many times the supervisor ended one of the identity's sessions to start
        another (seance restarts and context cycles)."""
        return sum(1 for a in self.attempts(ref) if a.strategy in RESTARTING)

    def bounds(self) -> Bounds:
        s = self.settings
        return Bounds(s.detect, s.ladder, s.restart, s.tick_interval)


def make_sim(root: Path, seed: int = 0, overrides: dict[str, object] | None = None) -> Sim:
    """A project in `root` (state only: no git needed) on an in-memory store at the
    defaults, with `overrides` as config keys ({"supervisor.stall_after": 60})."""
    overrides = overrides or {}
    random.seed(seed)
    clock = FakeClock()
    env = {"BOSUN_" + key.upper().replace(".", "_"): str(v) for key, v in overrides.items()}
    config = load_config(None, env) if env else default_config()
    paths = ProjectPaths(root)
    paths.home.mkdir(parents=True, exist_ok=True)
    ctx = Context(store=SqliteStore(":memory:", clock), config=config, paths=paths, clock=clock)
    runtime = ScriptedRuntime(clock)
    runtime.world = World(ctx, runtime)
    fleet = SimFleet(ctx, runtime, host="simhost", ready_timeout=5.0)
    settings = validate_supervisor_config(config)
    supervisor = Supervisor(ctx, fleet, settings)
    supervisor.reconcile()
    return Sim(ctx, clock, runtime, fleet, supervisor, settings)

