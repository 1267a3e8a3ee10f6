"""Forgetting an identity: `bosun identity delete`, and the undo of a spawn that failed.

Only an identity with no running session and no unsaved work is forgotten: its hook must be
released or merged, and its own worktree must hold no uncommitted files and no commits
missing from the target branch (the worktree is then removed, as `bosun worktree remove`
would). Its events stay in the log.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.errors import Conflict
from bosun.gitops.worktrees import Worktrees
from bosun.runtime.protocol import LivenessState

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet


def forget_identity(
    fleet: Fleet, role: str, name: str, *, keep_busy_worktree: bool = False
) -> dict[str, Any]:
    """Delete ROLE/NAME. Its worktree goes too when that loses nothing; a worktree holding
    work refuses the delete (Conflict), or with `keep_busy_worktree` simply stays."""
    ctx = fleet.ctx
    identity = ctx.identities.get(role, name)
    session = fleet.session(role, name)
    if session is not None and session.live:
        live = fleet.runtime.liveness(fleet.handle(session))
        if live.state != LivenessState.DEAD:
            raise Conflict(
                f"{identity.ref} has a running session ({session.session})",
                f"stop it first: `bosun agent stop {identity.ref}`",
            )
        fleet.record_end(session, live, "found dead at delete")
    with ctx.store.transaction(write=False) as tx:  # refuses held work before any change
        ctx.identities.check_deletable_in(tx, role, name)
    try:
        removed = _remove_own_worktree(fleet, name, identity.worktree)
    except Conflict:
        if not keep_busy_worktree:
            raise
        removed = None
    with ctx.store.transaction() as tx:
        tx.run("agent_session_delete_all", role=role, name=name)
        ctx.identities.delete_in(tx, role, name)
    return {"identity": identity.ref, "deleted": True, "worktree_removed": removed}


def _remove_own_worktree(fleet: Fleet, name: str, recorded: str | None) -> str | None:
    """The identity's auto worktree, removed only when that loses nothing (else Conflict)."""
    paths = fleet.ctx.paths
    if paths is None or not recorded:
        return None
    trees = Worktrees(paths, fleet.ctx.config)
    own = trees.path_for(name)
    if Path(recorded).resolve() != own.resolve() or not own.exists():
        return None  # the repository root or a directory the user chose: not ours to remove
    trees.remove(name)
    return str(own)


def undo_spawn(fleet: Fleet, role: str, name: str) -> None:
    """A first spawn that failed before any session ran leaves nothing behind: the identity
    and its pin go, and its worktree too unless it holds work (a reused one may)."""
    if fleet.ctx.hooks.find(role, name) is not None:
        fleet.ctx.hooks.release(role, name)
    forget_identity(fleet, role, name, keep_busy_worktree=True)
