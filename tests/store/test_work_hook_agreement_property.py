"""Property (issue 17): the work item and its hooks always agree, whatever sequence of real
operations runs — work create/update/close/reopen, hook pin/advance/release, phase moves by
hand (to merged too), and the merge queue's landing, conflict and failure outcomes — on a
real store of every backend.

After every step, `core.agreement.disagreements` must find nothing: each work item's status
agrees with the hooks holding it, and `work ready` lists exactly the open work items. A
refused operation must change nothing.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from bosun.base.errors import BosunError
from bosun.core.agreement import disagreements
from bosun.core.context import Context
from bosun.core.records import Phase, WorkStatus
from bosun.mergequeue.outcomes import load, settle_conflict, settle_failed, settle_merged
from bosun.mergequeue.outcomes import transition as mq_transition
from bosun.mergequeue.records import RequestStatus

_names = itertools.count()
AGENTS = 3


def machine_for(ctx: Context) -> type[RuleBasedStateMachine]:
    class WorkAndHooks(RuleBasedStateMachine):
        """Random sequences of the real operations against one store. Every example uses
        its own identities and work items; the invariant covers the whole store."""

        works = Bundle("works")

        @initialize()
        def agents(self) -> None:
            run = next(_names)
            self.agents = [("polecat", f"p{run}x{i}") for i in range(AGENTS)]
            for role, name in self.agents:
                ctx.identities.create(role, name)
            ctx.identities.create("refinery", "merge-queue", crew=True)  # as `bosun init` does
            self.mine: list[str] = []  # this example's work items

        def _state(self) -> Any:
            with ctx.store.transaction(write=False) as tx:
                items = [ctx.work.get_in(tx, w) for w in self.mine]
                hooks = [ctx.hooks.find_in(tx, r, n) for r, n in self.agents]
            return items, hooks

        def _try(self, action: Any) -> None:
            before = self._state()
            try:
                action()
            except BosunError:
                assert self._state() == before, "a refused operation changed something"

        @rule(target=works, priority=st.integers(0, 4))
        def create_work(self, priority: int) -> str:
            item = ctx.work.create(f"task {len(self.mine)}", priority=priority)
            self.mine.append(item.id)
            return item.id

        @rule(agent=st.integers(0, AGENTS - 1), work=works)
        def pin(self, agent: int, work: str) -> None:
            self._try(lambda: ctx.hooks.pin(*self.agents[agent], work))

        @rule(agent=st.integers(0, AGENTS - 1), phase=st.sampled_from(list(Phase)))
        def move_hook(self, agent: int, phase: Phase) -> None:
            self._try(lambda: ctx.hooks.update_phase(*self.agents[agent], phase))

        @rule(agent=st.integers(0, AGENTS - 1))
        def advance_hook(self, agent: int) -> None:
            """What an agent does: the next phase on the main line."""
            role, name = self.agents[agent]
            hook = ctx.hooks.find(role, name)
            following = {
                Phase.ASSIGNED: Phase.EXECUTING,
                Phase.EXECUTING: Phase.IMPL_COMPLETE,
                Phase.IMPL_COMPLETE: Phase.MERGE_READY,
                Phase.VALIDATING: Phase.MERGED,
                Phase.MERGE_READY: Phase.MERGED,
                Phase.BLOCKED: Phase.EXECUTING,
            }
            if hook is not None and hook.phase in following:
                self._try(lambda: ctx.hooks.update_phase(role, name, following[hook.phase]))

        @rule(agent=st.integers(0, AGENTS - 1))
        def release(self, agent: int) -> None:
            self._try(lambda: ctx.hooks.release(*self.agents[agent]))

        @rule(work=works, status=st.sampled_from(list(WorkStatus)))
        def update_work(self, work: str, status: WorkStatus) -> None:
            """`bosun work update` — closing (`closed`) and reopening (`open`) included."""
            self._try(lambda: ctx.work.set_status(work, str(status), by="cli"))

        @rule(
            agent=st.integers(0, AGENTS - 1),
            outcome=st.sampled_from(["merged", "conflict", "failed"]),
        )
        def merge_queue_settles(self, agent: int, outcome: str) -> None:
            """The merge queue settles a request for the work on the agent's hook."""
            role, name = self.agents[agent]
            hook = ctx.hooks.find(role, name)
            if hook is None or not hook.unfinished:
                return
            if outcome == "merged" and ctx.work.get(hook.work_id).status != "merge_ready":
                return  # the queue lands only what was offered
            rid = f"mr-{next(_names)}"
            with ctx.store.transaction() as tx:
                tx.run(
                    "mq_insert",
                    id=rid,
                    branch=f"b/{rid}",
                    target="main",
                    identity=f"{role}/{name}",
                    work_id=hook.work_id,
                    head="0" * 40,
                    enqueued_by="test",
                    status=str(RequestStatus.QUEUED),
                )
                request = load(tx, rid)
                assert request is not None
                request = mq_transition(tx, request, RequestStatus.TESTING, "merge.claimed")
                if outcome == "merged":
                    settle_merged(ctx, tx, request, "1" * 40, {})
                elif outcome == "conflict":
                    settle_conflict(ctx, tx, request, ["a.py"])
                else:
                    settle_failed(ctx, tx, request, "gate failed", {"tail": "boom"})

        @invariant()
        def work_and_hooks_agree(self) -> None:
            assert disagreements(ctx, self.mine) == []

    return WorkAndHooks


# PostgreSQL pays a round trip per statement: fewer examples there, the same rules.
EXAMPLES = {"sqlite": 30, "postgres": 10}


def test_work_items_and_hooks_always_agree(ctx: Context, backend: tuple[str, str]) -> None:
    run_state_machine_as_test(
        machine_for(ctx),
        settings=settings(
            max_examples=EXAMPLES[backend[0]],
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
