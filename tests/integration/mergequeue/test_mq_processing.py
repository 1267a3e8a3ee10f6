"""Processing merge requests against real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path


def test_two_simultaneous_requests_land_one_after_the_other(mq) -> None:
    mq.commit_on("feat/a", {"a.txt": "a\n"})
    mq.commit_on("feat/b", {"b.txt": "b\n"})
    a, b = mq.enqueue("feat/a"), mq.enqueue("feat/b")
    mq.configure(merge_queue__gates=["test -f README.md"])
    report = mq.process()
    assert report.merged == [a.id, b.id]
    assert report.gate_runs == 2  # batch = 1: one request at a time
    assert mq.show("a.txt") == "a\n" and mq.show("b.txt") == "b\n"
    assert mq.log()[:2] == ["change b.txt on feat/b", "change a.txt on feat/a"]
    first, second = mq.get(a.id), mq.get(b.id)
    assert first.status == "merged" and second.status == "merged"
    assert mq.git("merge-base", "--is-ancestor", first.landed, second.landed) == ""
    landed = mq.events("merge.landed")
    assert [e.subject for e in landed] == [a.id, b.id]
    assert all(e.data["tree_check"] == "ok" for e in landed)
    # landed source branches are proven contained, then deleted
    assert mq.git("branch", "--list", "feat/*") == ""
    # the user's checkout of main follows the landing (no phantom staged changes)
    assert mq.git("status", "--porcelain") == ""
    assert (mq.root / "a.txt").read_text() == "a\n"


def test_conflict_is_handed_back_with_the_exact_files(mq) -> None:
    owner, work_id = mq.agent("toast")
    mq.commit_on("main", {"shared.py": "base\n", "other.py": "base\n"})
    mq.commit_on(
        "bosun/toast", {"shared.py": "toast\n", "other.py": "toast\n", "new.py": "x\n"}, base="main"
    )
    mq.commit_on("main", {"shared.py": "main moved\n", "other.py": "main moved\n"})
    request = mq.enqueue("bosun/toast", identity=owner)
    assert request.work_id == work_id  # taken from the owner's hook
    report = mq.process()
    assert report.conflicts == [request.id] and report.merged == []
    settled = mq.get(request.id)
    assert settled.status == "conflict"
    assert settled.detail["files"] == ["other.py", "shared.py"]
    assert "other.py" in settled.reason and "shared.py" in settled.reason
    assert mq.ctx.work.get(work_id).status == "merge_conflict"
    hook = mq.ctx.hooks.get("polecat", "toast")
    assert hook.phase == "executing"
    assert "other.py" in hook.resumption and "shared.py" in hook.resumption
    [signal] = mq.ctx.signals.list(to=owner, unread=True, kind="MERGE_FAILED")
    assert signal.payload["files"] == ["other.py", "shared.py"]
    assert signal.sender == "refinery/merge-queue"
    assert mq.show("new.py") is None  # nothing of it landed
    # the agent's branch is untouched
    assert mq.show("shared.py", "bosun/toast") == "toast\n"


def test_owner_gets_merge_complete_and_hook_merged(mq) -> None:
    owner, work_id = mq.agent("nux")
    mq.commit_on("bosun/nux", {"nux.txt": "1\n"})
    request = mq.enqueue("bosun/nux", identity=owner, work_id=work_id)
    mq.process()
    assert mq.get(request.id).status == "merged"
    assert mq.ctx.work.get(work_id).status == "merged"
    assert mq.ctx.hooks.get("polecat", "nux").phase == "merged"
    [signal] = mq.ctx.signals.list(to=owner, kind="MERGE_COMPLETE")
    assert signal.payload["commit"] == mq.tip()


def test_branch_already_in_the_target_completes_as_a_no_op(mq) -> None:
    mq.commit_on("feat/done", {"d.txt": "d\n"})
    mq.move("main", mq.tip("feat/done"))
    before = mq.tip()
    request = mq.enqueue("feat/done")
    report = mq.process()
    assert report.merged == [request.id]
    assert mq.tip() == before
    assert mq.get(request.id).landed == before


def test_dirty_scratch_worktree_is_reset_and_never_merged(mq) -> None:
    mq.commit_on("feat/one", {"one.txt": "1\n"})
    mq.enqueue("feat/one")
    mq.process()
    scratch = mq.root / ".bosun" / "merge" / "main"
    (scratch / "README.md").write_text("scribbled\n")
    (scratch / "stray.txt").write_text("left by a dead processor\n")
    mq.commit_on("feat/two", {"two.txt": "2\n"})
    request = mq.enqueue("feat/two")
    mq.process()
    assert mq.get(request.id).status == "merged"
    assert mq.show("README.md") == "# sample\n"
    assert mq.show("stray.txt") is None
    [reset] = mq.events("merge.scratch_reset")
    assert set(reset.data["files"]) == {"README.md", "stray.txt"}


def test_missing_gate_command_fails_the_request_and_the_queue_goes_on(mq) -> None:
    mq.configure(merge_queue__gates=["no-such-gate-command-xyz --run"])
    mq.commit_on("feat/x", {"x.txt": "x\n"})
    bad = mq.enqueue("feat/x")
    report = mq.process(until_empty=False)
    failed = mq.get(bad.id)
    assert failed.status == "failed"
    assert "not found" in failed.reason and "no-such-gate-command-xyz" in failed.reason
    assert mq.show("x.txt") is None
    mq.configure(merge_queue__gates=["true"])
    mq.commit_on("feat/y", {"y.txt": "y\n"})
    good = mq.enqueue("feat/y")
    report = mq.process()
    assert report.merged == [good.id]


def test_a_gate_that_hangs_is_killed_at_its_timeout(mq, tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    mq.configure(
        merge_queue__gates=[f"sleep 300 & echo $! > {marker}; wait"], merge_queue__gate_timeout="1s"
    )
    mq.commit_on("feat/slow", {"s.txt": "s\n"})
    request = mq.enqueue("feat/slow")
    mq.process()
    failed = mq.get(request.id)
    assert failed.status == "failed"
    assert "timed out" in failed.reason
    assert failed.detail["gate"]["timed_out"] is True
    child = int(marker.read_text())
    ps = subprocess.run(["ps", "-o", "stat=", "-p", str(child)], capture_output=True, text=True)
    assert ps.returncode != 0 or ps.stdout.strip().startswith("Z")  # the whole group died


def test_red_gate_fails_a_single_request_with_the_output_tail(mq) -> None:
    mq.configure(merge_queue__gates=["echo checking; echo 'assert 1 == 2' >&2; exit 3"])
    mq.commit_on("feat/red", {"r.txt": "r\n"})
    request = mq.enqueue("feat/red")
    mq.process()
    failed = mq.get(request.id)
    assert failed.status == "failed"
    assert "exit status 3" in failed.reason
    assert "assert 1 == 2" in failed.detail["tail"]


def test_request_whose_identity_no_longer_exists_still_settles(mq) -> None:
    import sqlite3

    owner, _ = mq.agent("ghost")
    mq.commit_on("bosun/ghost", {"g.txt": "g\n"})
    request = mq.enqueue("bosun/ghost", identity=owner)
    with sqlite3.connect(mq.root / ".bosun" / "bosun.db") as db:  # deleted behind our back
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM hooks WHERE name = 'ghost'")
        db.execute("DELETE FROM identities WHERE name = 'ghost'")
    mq.process()
    assert mq.get(request.id).status == "merged"
    [landed] = mq.events("merge.landed")
    assert any("no longer exists" in note for note in landed.data["notes"])


def test_branch_deleted_after_enqueue_fails_with_a_reason(mq) -> None:
    mq.commit_on("feat/gone", {"g.txt": "g\n"})
    request = mq.enqueue("feat/gone")
    mq.git("branch", "-D", "feat/gone")
    mq.process()
    failed = mq.get(request.id)
    assert failed.status == "failed" and "does not exist" in failed.reason


def test_target_deleted_after_enqueue_fails_its_requests(mq) -> None:
    mq.commit_on("release", {"r.txt": "r\n"})
    mq.commit_on("feat/rel", {"f.txt": "f\n"}, base="release")
    request = mq.enqueue("feat/rel", target="release")
    mq.git("branch", "-D", "release")
    mq.process()
    failed = mq.get(request.id)
    assert failed.status == "failed" and "release does not exist" in failed.reason


def test_target_moving_during_the_gate_forces_a_rebuild_and_retest(mq, tmp_path: Path) -> None:
    script = tmp_path / "gate.sh"
    log = tmp_path / "tested.log"
    moved = tmp_path / "moved"
    # The first gate run commits to main behind the queue's back; every run logs what it
    # tested, so we can prove the landed commit is one a gate saw.
    script.write_text(
        "#!/bin/sh\nset -e\n"
        f'echo "$BOSUN_MERGE_CANDIDATE" >> {log}\n'
        f"if [ ! -e {moved} ]; then touch {moved}\n"
        f"  cd {mq.root}\n"
        "  tree=$(git write-tree)\n"  # the checkout's index = main's tree
        '  c=$(git commit-tree "$tree" -p main -m "moved during the gate")\n'
        '  git update-ref refs/heads/main "$c"\nfi\n'
    )
    script.chmod(0o755)
    mq.configure(merge_queue__gates=[str(script)])
    mq.commit_on("feat/m", {"m.txt": "m\n"})
    request = mq.enqueue("feat/m")
    report = mq.process()
    assert report.merged == [request.id] and report.gate_runs == 2
    tested = log.read_text().split()
    assert len(tested) == 2 and tested[0] != tested[1]
    assert mq.tip() == tested[1]  # exactly the commit the second gate run saw
    assert "moved during the gate" in mq.log()
    assert len(mq.events("merge.target_moved")) == 1


def test_push_to_a_configured_remote(mq, tmp_path: Path) -> None:
    remote = tmp_path / "origin.git"
    mq.git("init", "-q", "--bare", str(remote))
    mq.git("remote", "add", "origin", str(remote))
    mq.git("push", "-q", "origin", "main")
    mq.configure(merge_queue__remote="origin")
    mq.commit_on("feat/p", {"p.txt": "p\n"})
    mq.enqueue("feat/p")
    mq.process()
    assert mq.git("rev-parse", "main", cwd=remote) == mq.tip()


def test_flaky_gate_is_retried_and_recorded(mq, tmp_path: Path) -> None:
    flag = tmp_path / "flaked"
    mq.configure(
        merge_queue__gates=[f"test -e {flag} || {{ touch {flag}; exit 1; }}"],
        merge_queue__flake_retries=1,
    )
    mq.commit_on("feat/f", {"f.txt": "f\n"})
    request = mq.enqueue("feat/f")
    mq.process()
    assert mq.get(request.id).status == "merged"
    [gate] = mq.events("merge.gate")
    assert gate.data["green"] is True and gate.data["attempts"] == 2
    assert gate.data["flaky"] == [mq.ctx.config.get("merge_queue.gates")[0]]


def test_source_branch_is_kept_when_configured(mq) -> None:
    mq.configure(merge_queue__delete_source_branch=False)
    mq.commit_on("feat/keep", {"k.txt": "k\n"})
    mq.enqueue("feat/keep")
    mq.process()
    assert mq.git("branch", "--list", "feat/keep") != ""


def test_multi_commit_branch_is_rebased_commit_by_commit(mq) -> None:
    mq.commit_on("feat/multi", {"one.txt": "1\n"}, message="first of two")
    mq.commit_on("feat/multi", {"two.txt": "2\n"}, message="second of two")
    mq.commit_on("main", {"main.txt": "moved\n"}, message="main moved")
    request = mq.enqueue("feat/multi")
    assert mq.process().merged == [request.id]
    assert mq.log()[:3] == ["second of two", "first of two", "main moved"]
    assert mq.git("rev-list", "--merges", "main") == ""  # linear history
    assert mq.git("status", "--porcelain", cwd=mq.root / ".bosun" / "merge" / "main") == ""


def test_multi_commit_conflict_names_the_files(mq) -> None:
    mq.commit_on("feat/mc", {"ok.txt": "fine\n"}, message="first")
    mq.commit_on("feat/mc", {"clash.txt": "mine\n"}, message="second")
    mq.commit_on("main", {"clash.txt": "theirs\n"})
    request = mq.enqueue("feat/mc")
    mq.process()
    assert mq.get(request.id).detail["files"] == ["clash.txt"]
    assert mq.show("ok.txt") is None


def test_a_rebased_commit_keeps_its_author_and_message(mq) -> None:
    author = {
        "GIT_AUTHOR_NAME": "Ada Agent",
        "GIT_AUTHOR_EMAIL": "ada@agents.invalid",
        "GIT_AUTHOR_DATE": "1600000000 +0200",
    }
    original = mq.commit_on(
        "feat/au", {"au.txt": "a\n"}, message="subject\n\nbody line\n", env=author
    )
    mq.commit_on("main", {"other.txt": "o\n"})
    mq.enqueue("feat/au")
    mq.process()
    fmt = "--format=%an|%ae|%ad|%B"
    assert mq.git("log", "-1", fmt, "--date=raw", "main") == mq.git(
        "log", "-1", fmt, "--date=raw", original
    )
    assert mq.tip() != original and mq.git("rev-parse", "main~1") != mq.git(
        "rev-parse", f"{original}~1"
    )
