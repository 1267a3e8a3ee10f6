"""Follow-through end to end on a real project: real git worktrees, the real gatherers, a fake
clock (commits are dated on it with GIT_COMMITTER_DATE, so no test waits on wall time)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bosun.base.clock import FakeClock
from bosun.core.commitments import CommitmentStatus
from bosun.core.context import Context, open_project
from bosun.sentinel.followthrough import Action
from bosun.sentinel.service import Sentinel


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_800_000_000.0)


@pytest.fixture
def ctx(project: Path, clock: FakeClock) -> Iterator[Context]:
    context = open_project(project, env={"BOSUN_SENTINEL_ENABLED": "true"}, clock=clock)
    try:
        yield context
    finally:
        context.close()


def agent(ctx: Context, project: Path, name: str) -> Path:
    """An identity with its own worktree on branch bosun/<name>."""
    worktree = project / ".bosun" / "worktrees" / name
    git(project, "worktree", "add", "-q", "-b", f"bosun/{name}", str(worktree))
    ctx.identities.create("polecat", name, worktree=str(worktree))
    return worktree


def commit(worktree: Path, at: float, message: str) -> str:
    (worktree / f"{message.replace(' ', '_')}.txt").write_text(message + "\n")
    dated = {
        **os.environ,
        "GIT_COMMITTER_DATE": f"@{int(at)} +0000",
        "GIT_AUTHOR_DATE": f"@{int(at)} +0000",
    }
    subprocess.run(["git", "add", "-A"], cwd=worktree, check=True, env=dated)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=worktree, check=True, env=dated)
    return git(worktree, "rev-parse", "HEAD")


def test_claim_without_action_is_nudged_then_violated_and_escalated(
    ctx: Context, project: Path, clock: FakeClock
) -> None:
    worktree = agent(ctx, project, "toast")
    commit(worktree, clock.now() - 300, "work before the claim")  # older: not evidence
    sentinel = Sentinel(ctx)
    made = sentinel.observe("polecat/toast", "All green. Pushing it now.").commitment
    assert made is not None and made.status is CommitmentStatus.OPEN

    clock.advance(601)
    report = sentinel.check()
    assert [n.identity for n in report.nudges] == ["polecat/toast"]
    assert "You said: 'Pushing it now.'" in report.nudges[0].text
    assert f"bosun commitments withdraw {made.id} --why" in report.nudges[0].text

    clock.advance(601)
    report = sentinel.check()
    assert [(o.action, o.reason) for o in report.outcomes] == [(Action.VIOLATE, "no_evidence")]
    violated = sentinel.commitments.get(made.id)
    assert violated.status is CommitmentStatus.VIOLATED
    assert violated.evidence["checked"] == ["push", "commit", "command"]
    [escalation] = ctx.signals.list("polecat/toast", kind="ESCALATION")
    assert escalation.payload["claim"] == "Pushing it now."
    kinds = [
        e.kind
        for e in ctx.events.since(0, subject="polecat/toast")
        if e.kind.startswith(("commitment.", "signal."))
    ]
    assert kinds == ["commitment.opened", "commitment.nudged", "commitment.violated", "signal.sent"]


def test_an_agent_that_commits_after_its_claim_is_delivered_with_the_commit(
    ctx: Context, project: Path, clock: FakeClock
) -> None:
    agent(ctx, project, "toast")
    worktree = agent(ctx, project, "nux")
    sentinel = Sentinel(ctx)
    idle = sentinel.observe("polecat/toast", "Pushing it now.").commitment
    doer = sentinel.observe("polecat/nux", "I'll commit the fix.", "bo-7").commitment
    assert idle and doer
    sha = commit(worktree, clock.now() + 120, "the fix")

    clock.advance(600)
    report = sentinel.check()
    by_id = {o.commitment_id: o for o in report.outcomes}
    assert by_id[doer.id].action is Action.DELIVER
    assert [n.commitment_id for n in report.nudges] == [idle.id]
    delivered = sentinel.commitments.get(doer.id)
    assert delivered.status is CommitmentStatus.DELIVERED
    assert delivered.evidence["found"]["sha"] == sha
    assert delivered.evidence["found"]["branch"] == "bosun/nux"
    assert delivered.evidence["found"]["kind"] == "commit"
    assert ctx.signals.list("polecat/nux", kind="ESCALATION") == []


def test_pushing_an_existing_commit_counts_as_the_push(
    ctx: Context, project: Path, clock: FakeClock, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(project, "remote", "add", "origin", str(remote))
    worktree = agent(ctx, project, "toast")
    commit(worktree, clock.now() - 60, "done before the claim")
    sentinel = Sentinel(ctx)
    made = sentinel.observe("polecat/toast", "Done. Pushing it now.").commitment
    assert made is not None
    dated = {**os.environ, "GIT_COMMITTER_DATE": f"@{int(clock.now()) + 30} +0000"}
    subprocess.run(
        ["git", "push", "-q", "-u", "origin", "bosun/toast"],
        cwd=worktree,
        check=True,
        env=dated,
        capture_output=True,
    )
    clock.advance(600)
    assert [o.action for o in sentinel.check().outcomes] == [Action.DELIVER]
    found = sentinel.commitments.get(made.id).evidence["found"]
    assert found["kind"] == "push" and found["ref"] == "refs/remotes/origin/bosun/toast"


def test_a_restart_claim_is_delivered_by_a_new_incarnation(
    ctx: Context, project: Path, clock: FakeClock
) -> None:
    agent(ctx, project, "toast")
    sentinel = Sentinel(ctx)
    made = sentinel.observe("polecat/toast", "I'm restarting my session now.").commitment
    assert made is not None and made.verb == "restart"
    clock.advance(30)
    with ctx.store.transaction() as tx:
        ctx.identities.new_incarnation(tx, "polecat", "toast", reason="restart")
    clock.advance(600)
    assert [o.action for o in sentinel.check().outcomes] == [Action.DELIVER]
    found = sentinel.commitments.get(made.id).evidence["found"]
    assert (found["kind"], found["event"], found["incarnation"]) == (
        "restart",
        "identity.incarnation",
        2,
    )


def test_an_identity_without_a_worktree_is_never_violated(ctx: Context, clock: FakeClock) -> None:
    ctx.identities.create("crew", "max")
    sentinel = Sentinel(ctx)
    made = sentinel.observe("crew/max", "I'll rebase onto main.").commitment
    assert made is not None
    clock.advance(600)
    assert len(sentinel.check().nudges) == 1
    clock.advance(3 * 3600)
    assert sentinel.check().outcomes == ()
    assert sentinel.commitments.get(made.id).status is CommitmentStatus.OPEN
    clock.advance(3 * 3600)
    assert [o.action for o in sentinel.check().outcomes] == [Action.EXPIRE]
