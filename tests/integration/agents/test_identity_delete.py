"""Forgetting an identity for real: `bosun identity delete` refuses while anything would be
lost (a running session, work on its hook, commits its worktree has not landed), and a
first spawn that fails leaves no identity, pin or worktree behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from clirunner import Bosun
from gitrepo import git
from waiting import wait_for

TASK = """```bosun-task
{"steps": [{"phase": "executing"},
           {"write": {"path": "hello.py", "content": "print('hello')\\n"}},
           {"commit": "add hello.py"},
           {"phase": "impl_complete"}]}
```"""

pytestmark = pytest.mark.tmux


@pytest.fixture
def env(tmux_socket: str) -> dict[str, str]:
    return {"BOSUN_RUNTIME_TMUX_SOCKET": tmux_socket}


def test_delete_refuses_until_nothing_would_be_lost_then_forgets_all_of_it(
    bosun: Bosun, project: Path, env: dict[str, str]
) -> None:
    work = bosun.ok("work", "create", "Say hello", "--body", TASK)
    bosun.ok("agent", "spawn", "toast", "--runtime", "sim", "--work", work["id"], env=env)
    worktree = project / ".bosun" / "worktrees" / "toast"
    wait_for(
        lambda: bosun.ok("hook", "show", "polecat", "toast")["phase"] == "impl_complete",
        timeout=30,
        what="the agent to finish its work",
    )

    def refused(says: str) -> None:
        out = bosun("identity", "delete", "toast", env=env)
        assert out.code != 0 and says in out.err and out.err.count("error:") == 1, out.err
        assert bosun.ok("identity", "show", "polecat/toast")["identity"] == "polecat/toast"
        assert worktree.is_dir()

    refused("has a running session")
    bosun.ok("agent", "stop", "toast", env=env)
    refused(f"holds work {work['id']} at impl_complete")
    bosun.ok("hook", "release", "polecat", "toast")
    refused("1 commits not merged into main")
    assert (worktree / "hello.py").exists()

    branch = git(worktree, "rev-parse", "--abbrev-ref", "HEAD")
    git(project, "merge", "-q", "--ff-only", branch)  # the work lands: nothing to lose now
    gone = bosun.ok("identity", "delete", "polecat/toast", env=env)
    assert gone == {
        "identity": "polecat/toast",
        "deleted": True,
        "worktree_removed": str(worktree),
    }
    assert not worktree.exists()
    assert "polecat/toast" not in [i["identity"] for i in bosun.ok("identity", "list")]
    assert [e["kind"] for e in bosun.ok("events", "--subject", "polecat/toast")][-1] == (
        "identity.deleted"
    )
    # the name is free again: a new agent starts from incarnation 1
    again = bosun.ok("agent", "spawn", "toast", "--runtime", "sim", env=env)
    assert again["incarnation"] == 1
    bosun.ok("agent", "stop", "toast", env=env)


def test_a_failed_first_spawn_leaves_nothing_behind(
    bosun: Bosun, project: Path, env: dict[str, str]
) -> None:
    out = bosun("agent", "spawn", "ghost", "--runtime", "sim", "--work", "wk-nothere", env=env)
    assert out.code != 0 and "wk-nothere" in out.err
    assert "polecat/ghost" not in [i["identity"] for i in bosun.ok("identity", "list")]
    assert not (project / ".bosun" / "worktrees" / "ghost").exists()
    assert bosun.ok("hook", "list") == []


def test_delete_of_an_unknown_or_ambiguous_name_changes_nothing(bosun: Bosun) -> None:
    bosun.ok("identity", "create", "polecat/dup")
    bosun.ok("identity", "create", "crew", "dup")
    before = bosun.db_snapshot()
    for ref, says in (("dup", "ambiguous"), ("nope", "no agent named"), ("a/b/c", "")):
        out = bosun("identity", "delete", ref)
        assert out.code == 2 and says in out.err and out.err.count("error:") == 1, out.err
    assert bosun.db_snapshot() == before
