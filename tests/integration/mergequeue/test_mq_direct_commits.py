"""Direct commits to the target branch (issue 17 item 16): a commit that reaches main
without the merge queue is detected, attributed to the agent whose worktree made it, and
reported (event + ESCALATION + `bosun status --check`); what the queue landed is not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bosun.gitops.worktrees import Worktrees


def _agent_with_worktree(mq: Any, name: str) -> Path:
    assert mq.ctx.paths is not None
    tree = Worktrees(mq.ctx.paths, mq.ctx.config).create(name)
    mq.ctx.identities.create("polecat", name, worktree=str(tree.path))
    return Path(tree.path)


def test_an_agents_direct_commit_to_main_is_reported_naming_the_agent(mq: Any) -> None:
    alpha = _agent_with_worktree(mq, "alpha")
    mq.process()  # the queue starts watching main here
    # beta goes through the queue: what the queue lands is never reported
    beta, beta_work = mq.agent("beta")
    mq.commit_on("bosun/beta", {"beta.txt": "through the queue\n"})
    request = mq.enqueue("bosun/beta", identity=beta, work_id=beta_work)
    mq.process()
    assert mq.get(request.id).status == "merged"
    # alpha commits in its worktree, then fast-forwards main to it from the project root
    (alpha / "alpha.txt").write_text("straight to main\n")
    mq.git("add", "alpha.txt", cwd=alpha)
    mq.git("commit", "-qm", "alpha: skip the queue", cwd=alpha)
    mq.git("rebase", "-q", "main", cwd=alpha)
    direct = mq.git("rev-parse", "HEAD", cwd=alpha)
    mq.git("merge", "-q", "--ff-only", "bosun/alpha")
    # and a person commits on main in the project root: recorded, not escalated
    human = mq.commit_on("main", {"NOTES": "a person's note\n"})

    reports = mq.process()
    found = reports if isinstance(reports, list) else [reports]
    assert sorted(c for r in found for c in r.direct_commits) == sorted([direct, human])
    events = {e.data["commit"]: e for e in mq.events("merge.direct_commit")}
    assert set(events) == {direct, human}
    assert events[direct].subject == "polecat/alpha"
    assert events[direct].data["worktree"] == str(alpha)
    assert events[human].data["identity"] is None
    [escalation] = mq.ctx.signals.list(unread=True, kind="ESCALATION")
    assert escalation.to == "bosun/operator"
    assert escalation.payload["identity"] == "polecat/alpha"
    assert escalation.payload["commits"] == [direct]
    assert "bypassing the merge queue" in escalation.payload["reason"]

    mq.process()  # judged once: nothing is reported twice
    assert len(mq.events("merge.direct_commit")) == 2
    status = mq.cli("status", "--check")
    assert status.returncode == 1 and "escalation" in status.stdout
