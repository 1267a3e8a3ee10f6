"""The user's checkout of the target never loses landed work (issue 18, item 2).

A landing moves `main` by ref update; the checkout of `main` is then brought along. When
that fails (another git process holds index.lock), HEAD says "new" while the index says
"old", and the user's next `git commit -am` would take the landed change out of main."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bosun.gitops import checkouts


def _dirty(mq) -> None:
    """The user has work in progress in the main checkout."""
    (mq.root / "README.md").write_text("user edit\n")
    (mq.root / "notes.txt").write_text("untracked\n")


def _user_commits_everything(mq) -> None:
    mq.git("add", "notes.txt")
    mq.git("commit", "-q", "-am", "user work")


def test_dirty_checkout_then_landing_then_commit_am_keeps_the_agents_change(mq) -> None:
    _dirty(mq)
    mq.commit_on("feat/a", {"a.txt": "agent\n"})
    request = mq.enqueue("feat/a")
    mq.process()
    assert mq.get(request.id).status == "merged"
    assert (mq.root / "a.txt").read_text() == "agent\n"
    _user_commits_everything(mq)
    assert mq.show("a.txt") == "agent\n" and mq.show("README.md") == "user edit\n"


def test_index_lock_held_during_landing_is_waited_for_and_verified(mq) -> None:
    _dirty(mq)
    mq.commit_on("feat/a", {"a.txt": "agent\n"})
    request = mq.enqueue("feat/a")
    lock = Path(mq.git("rev-parse", "--absolute-git-dir")) / "index.lock"
    lock.write_text("")  # an editor's `git status` holds the index
    released = threading.Timer(0.5, lambda: lock.unlink(missing_ok=True))
    released.start()
    try:
        mq.process()
    finally:
        released.cancel()
        lock.unlink(missing_ok=True)
    assert mq.get(request.id).status == "merged"
    landed = mq.events("merge.landed")[-1].data
    assert landed["checkout_problems"] == []
    assert mq.events("merge.checkout_behind") == []
    assert mq.git("diff", "--cached", "--name-only") == ""  # nothing staged behind the user's back
    _user_commits_everything(mq)
    assert mq.show("a.txt") == "agent\n"


@pytest.fixture
def quick_lock_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkouts, "LOCK_WAITS", (0.01, 0.01))


@pytest.mark.usefixtures("quick_lock_waits")
def test_a_checkout_left_behind_is_loud_and_the_command_repairs_it(mq) -> None:
    from bosun.mergequeue.checkouts import checkout_attention

    _dirty(mq)
    mq.commit_on("feat/a", {"a.txt": "agent\n"})
    request = mq.enqueue("feat/a")
    lock = Path(mq.git("rev-parse", "--absolute-git-dir")) / "index.lock"
    lock.write_text("")
    try:
        mq.process()
    finally:
        lock.unlink()
    assert mq.get(request.id).status == "merged"
    behind = mq.events("merge.checkout_behind")
    assert len(behind) == 1 and "index.lock" in behind[0].data["reason"]
    lines = checkout_attention(mq.ctx)
    assert len(lines) == 1 and str(mq.root) in lines[0]
    status = mq.cli_json("status")
    assert any(behind[0].data["repair"] in line for line in status["attention"]), status
    # the exact command from the ATTENTION line repairs it, keeping the user's edit
    command = lines[0].split("run `", 1)[1].rstrip("`")
    assert command == behind[0].data["repair"]
    mq.git(*command.split()[3:], cwd=Path(command.split()[2]))
    assert (mq.root / "README.md").read_text() == "user edit\n"
    _user_commits_everything(mq)
    assert mq.show("a.txt") == "agent\n"


@pytest.mark.usefixtures("quick_lock_waits")
def test_the_next_processor_repairs_a_checkout_left_behind(mq) -> None:
    from bosun.mergequeue.checkouts import checkout_attention

    _dirty(mq)
    mq.commit_on("feat/a", {"a.txt": "agent\n"})
    mq.enqueue("feat/a")
    lock = Path(mq.git("rev-parse", "--absolute-git-dir")) / "index.lock"
    lock.write_text("")
    try:
        mq.process()
    finally:
        lock.unlink()
    assert checkout_attention(mq.ctx)
    mq.process()  # nothing queued: the start alone repairs it
    assert checkout_attention(mq.ctx) == []
    assert len(mq.events("merge.checkout_synced")) == 1
    _user_commits_everything(mq)
    assert mq.show("a.txt") == "agent\n" and mq.show("README.md") == "user edit\n"


def test_local_changes_in_the_way_hold_back_only_their_own_paths(mq) -> None:
    from bosun.mergequeue.checkouts import checkout_attention

    (mq.root / "README.md").write_text("user edit\n")  # the agent changes this file too
    mq.commit_on("feat/a", {"README.md": "agent\n", "b.txt": "agent b\n", "sub/c.txt": "c\n"})
    request = mq.enqueue("feat/a")
    mq.process()
    assert mq.get(request.id).status == "merged"
    assert (mq.root / "README.md").read_text() == "user edit\n"  # never overwritten
    assert (mq.root / "b.txt").read_text() == "agent b\n"
    assert mq.git("diff", "--cached", "--name-only") == "README.md"  # only the blocked path
    [behind] = mq.events("merge.checkout_behind")
    assert "README.md" in behind.data["reason"]
    assert any("README.md" in line for line in checkout_attention(mq.ctx))
    mq.git("commit", "-q", "-am", "user work")
    assert mq.show("b.txt") == "agent b\n" and mq.show("sub/c.txt") == "c\n"
