"""Layer 3, the orchestrator: the agent session that does an agent node's work.

Its identity and hook are registered before its session starts; it works
in its own worktree on its own branch, cut from the commit the node runs on; it is stopped
only after its identity is marked terminated, so the supervisor never mistakes a deliberate
stop for a crash; and its worktree is removed only with proof that its branch landed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bosun.agents.fleet import SpawnRequest
from bosun.base.errors import BosunError
from bosun.chain.names import Layer, initiative
from bosun.core.records import IdentityStatus
from bosun.gitops.branches import delete_branch_if_contained, is_contained
from bosun.gitops.git import Git
from bosun.gitops.worktrees import Worktrees
from bosun.supervisor.daemon import running_supervisor

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet
    from bosun.agents.sessions import AgentSession
    from bosun.chain.records import RunnerSpec
    from bosun.core.context import Context

ROLE = Layer.ORCHESTRATOR.role
LAUNCH_PROMPT = (
    "Run `bosun prime`: the work on your hook is an agent node of a bosun pipeline run. Do it "
    "in this worktree and report as the work item says."
)


@dataclass(frozen=True)
class NodeWorktree:
    path: Path
    branch: str


def worktree_for(ctx: Context, name: str) -> NodeWorktree:
    """Where the orchestrator `name` works (deterministic, before it exists)."""
    assert ctx.paths is not None
    trees = Worktrees(ctx.paths, ctx.config)
    return NodeWorktree(trees.path_for(name), trees.branch_for(name))


def report_section(spec: RunnerSpec, runner: str, orchestrator: str, tree: NodeWorktree) -> str:
    """How an orchestrator reports, appended to the node's work item."""
    merge = (
        f"3. Then `bosun signal send {runner} MERGE_READY --from {orchestrator} "
        f'--payload \'{{"branch": "{tree.branch}"}}\'`; the guardian lands the branch on '
        f"{spec.merge_target} through the merge queue."
        if spec.merge_target
        else "3. This node does not merge: IMPL_COMPLETE ends it."
    )
    return (
        "\n\n## How to report (bosun layered chain)\n"
        f"You are {orchestrator}, supervised by {runner}. Work in {tree.path} on branch "
        f"{tree.branch} and commit as you go.\n"
        f"1. Write your result as JSON to {spec.status_path}: "
        '{"outcome": "success" or "fail", "preferred_label": "", "failure_reason": "", '
        '"context_updates": {}}.\n'
        f"2. Signal `bosun signal send {runner} IMPL_COMPLETE --from {orchestrator}`.\n"
        f"{merge}\n"
    )


def register(ctx: Context, spec: RunnerSpec) -> None:
    """The orchestrator's identity and hook, before any session exists."""
    ctx.identities.create(ROLE, spec.name, runtime=spec.preset, initiative=initiative(spec.run_id))
    hook = ctx.hooks.find(ROLE, spec.name)
    if hook is not None and hook.unfinished and hook.work_id != spec.work_id:
        ctx.hooks.release(ROLE, spec.name)  # a previous execution's work, never resumed
    ctx.hooks.pin(ROLE, spec.name, spec.work_id)


def prepare_worktree(ctx: Context, spec: RunnerSpec) -> NodeWorktree:
    """Create the node's worktree off the commit the node runs on — or reuse it as it is
    (uncommitted work included) when a previous execution left it."""
    assert ctx.paths is not None
    tree = Worktrees(ctx.paths, ctx.config).create(
        spec.name, base=spec.base_commit, allow_dirty=True
    )
    return NodeWorktree(tree.path, tree.branch)


def launch(ctx: Context, fleet: Fleet, spec: RunnerSpec, tree: NodeWorktree) -> AgentSession:
    """Start the session through the fleet (returns once its screen is ready)."""
    env = {
        **spec.env,
        "BOSUN_WORKTREE_DIR": str(tree.path),
        "BOSUN_RUNNER": f"{Layer.RUNNER.role}/{spec.name}",
    }
    return fleet.spawn(
        SpawnRequest(
            name=spec.name,
            role=ROLE,
            preset=spec.preset,
            work_id=spec.work_id,
            prompt=LAUNCH_PROMPT,
            worktree=str(tree.path),
            initiative=initiative(spec.run_id),
            env=tuple(sorted(env.items())),
        )
    )


def stop(ctx: Context, fleet: Fleet, name: str, reason: str, settle: float = 1.0) -> bool:
    """Mark the identity terminated, then stop its live session — and, while a supervisor
    runs, one that a restart already in flight starts within `settle` seconds. True when a
    session was stopped."""
    if running_supervisor(ctx) is None:
        settle = 0.0

    identity = ctx.identities.find(ROLE, name)
    if identity is None:
        return False
    if identity.status not in (IdentityStatus.TERMINATED, IdentityStatus.QUARANTINED):
        ctx.identities.set_status(ROLE, name, IdentityStatus.TERMINATED, reason)
    stopped = False
    deadline = time.monotonic() + settle
    while True:
        session = fleet.session(ROLE, name)
        if session is not None and session.live:
            try:
                fleet.stop(ROLE, name, grace=2.0, reason=reason)
                stopped = True
            except BosunError:
                pass  # it ended meanwhile
            if ctx.identities.get(ROLE, name).status == IdentityStatus.ACTIVE:
                ctx.identities.set_status(ROLE, name, IdentityStatus.TERMINATED, reason)
        if time.monotonic() >= deadline:
            return stopped
        time.sleep(0.1)


def release_worktree(ctx: Context, tree: NodeWorktree, target: str) -> str:
    """Remove the worktree and its branch only with proof the branch is in `target`."""
    assert ctx.paths is not None
    git = Git(ctx.paths.root)
    if not tree.path.is_dir():
        return "already gone"
    dirty = git.at(tree.path).dirty_files()
    if dirty:
        return f"kept: {len(dirty)} uncommitted files"
    head = git.rev(f"refs/heads/{tree.branch}")
    if head is None or not is_contained(git, head, target):
        return f"kept: {tree.branch} is not proven contained in {target}"
    git.run("worktree", "remove", str(tree.path))
    return "removed; branch " + delete_branch_if_contained(git, tree.branch, head, target)
