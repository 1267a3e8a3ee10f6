"""The foundation's commands as a user runs them: identities, hooks, work, signals, events."""

from __future__ import annotations

import json
from pathlib import Path

from gitrepo import make_repo
from clirunner import Bosun


def test_init_is_idempotent_and_excludes_state_from_git(git_repo: Path) -> None:
    bosun = Bosun(git_repo)
    first = bosun.ok("init")
    again = bosun.ok("init")
    assert first["created"] is True and again["created"] is False
    assert "/.bosun/" in (git_repo / ".git" / "info" / "exclude").read_text().splitlines()
    assert (git_repo / ".bosun" / "config.toml").exists()
    status = bosun("init")
    assert "already initialised" in status.out


def test_agents_can_signal_the_merge_queue_from_the_first_minute(git_repo: Path) -> None:
    bosun = Bosun(git_repo)
    bosun.ok("init")
    sent = bosun("signal", "send", "refinery/merge-queue", "MERGE_READY", "--payload", "{}")
    assert sent.code == 0, sent.err
    [queue] = bosun.ok("identity", "list")
    assert queue["identity"] == "refinery/merge-queue"
    assert queue["crew"] is True


def test_an_agent_is_named_the_same_way_in_every_command(bosun: Bosun) -> None:
    work = bosun.ok("work", "create", "t")["id"]
    bosun.ok("identity", "create", "polecat/toast")
    bosun.ok("hook", "pin", "polecat/toast", work)  # ROLE/NAME
    bosun.ok("hook", "update-phase", "toast", "executing")  # NAME, unique
    bosun.ok("hook", "checkpoint", "polecat", "toast", "--note", "n")  # ROLE NAME
    assert bosun.ok("hook", "show", "toast")["phase"] == "executing"
    assert bosun.ok("identity", "show", "toast")["identity"] == "polecat/toast"
    bosun.ok("identity", "create", "crew", "toast")
    ambiguous = bosun("hook", "show", "toast")
    assert ambiguous.code == 2 and "ambiguous" in ambiguous.err


def test_init_outside_git_is_refused(tmp_path: Path) -> None:
    result = Bosun(tmp_path)("init")
    assert result.code == 2
    assert result.err.startswith("error: ") and "not inside a git repository" in result.err
    assert not (tmp_path / ".bosun").exists()


def test_commands_find_the_project_from_a_subdirectory(bosun: Bosun, project: Path) -> None:
    sub = project / "src" / "pkg"
    sub.mkdir(parents=True)
    bosun.ok("identity", "create", "polecat", "toast")
    listed = bosun.ok("identity", "list", cwd=sub)
    assert [i["identity"] for i in listed] == ["polecat/toast"]


def test_identity_lifecycle_and_json_fields(bosun: Bosun) -> None:
    created = bosun.ok("identity", "create", "runner", "impl_auth", "--session-id", "s-1",
                       "--worktree", "/tmp/wt", "--runtime", "sim", "--initiative", "auth",
                       "--host", "h1")
    for field in ("role", "name", "status", "session_id", "incarnation", "runtime", "worktree",
                  "initiative", "host", "pid", "created_at", "last_seen", "last_seen_age_s"):
        assert field in created
    assert created["status"] == "active" and created["incarnation"] == 1
    assert created["created_at"].endswith("Z")
    again = bosun.ok("identity", "create", "runner", "impl_auth")
    assert again["created_at"] == created["created_at"]
    beat = bosun.ok("identity", "update-liveness", "runner", "impl_auth")
    assert beat["last_seen"] >= created["last_seen"]
    assert bosun.ok("identity", "find-stale", "--timeout", "3600") == []
    stale = bosun.ok("identity", "find-stale", "--timeout", "0")
    assert [i["identity"] for i in stale] == ["runner/impl_auth"]
    assert bosun.ok("identity", "mark-crashed", "runner", "impl_auth", "--reason", "x")[
        "status"] == "crashed"
    assert bosun.ok("identity", "list", "--status", "crashed")[0]["status_reason"] == "x"
    assert bosun.ok("identity", "mark-terminated", "runner", "impl_auth")["status"] == "terminated"
    assert bosun.ok("identity", "find-stale", "--timeout", "0") == []


def test_hook_phases_prime_and_mirrors(bosun: Bosun, project: Path) -> None:
    bosun.ok("identity", "create", "polecat", "toast")
    work = bosun.ok("work", "create", "Add auth", "--body", "Implement login.", "--priority", "1")
    bosun.ok("hook", "pin", "polecat", "toast", work["id"])
    for phase in ("executing", "impl_complete", "merge_ready"):
        bosun.ok("hook", "update-phase", "polecat", "toast", phase)
    bosun.ok("hook", "checkpoint", "polecat", "toast", "--note", "tests green")
    bosun.ok("hook", "update-resumption", "polecat", "toast", "-", stdin="Wait for the queue.")
    hook = bosun.ok("hook", "show", "polecat", "toast")
    assert [h["phase"] for h in hook["history"]] == [
        "assigned", "executing", "impl_complete", "merge_ready"]
    assert bosun.ok("work", "show", work["id"])["status"] == "merge_ready"
    mirror = json.loads((project / ".bosun/state/hooks/polecat-toast.json").read_text())
    assert mirror["phase"] == "merge_ready" and mirror["resumption"] == "Wait for the queue."
    ident_mirror = json.loads((project / ".bosun/state/identities/polecat-toast.json").read_text())
    assert ident_mirror["identity"] == "polecat/toast"
    primed = bosun.ok("prime", env={"BOSUN_IDENTITY": "polecat/toast"})
    assert primed["hook"]["phase"] == "merge_ready"
    assert any("do not redo" in s for s in primed["skip"])
    assert "Wait for the queue." in primed["text"] and "Add auth" in primed["text"]
    released = bosun.ok("hook", "release", "polecat", "toast")
    assert released["phase"] == "released"


def test_work_items_and_wisps(bosun: Bosun) -> None:
    a = bosun.ok("work", "create", "Low", "--priority", "4")
    b = bosun.ok("work", "create", "High", "--priority", "0")
    wisp = bosun.ok("work", "create", "Scratch", "--wisp", "--ttl", "1ms")
    assert a["id"] != b["id"] and wisp["wisp"] is True
    assert [w["id"] for w in bosun.ok("work", "ready")] == [b["id"], a["id"]]
    assert wisp["id"] in [w["id"] for w in bosun.ok("work", "list", "--include-wisps")]
    assert wisp["id"] not in [w["id"] for w in bosun.ok("work", "list")]
    assert bosun.ok("work", "purge-wisps")["purged"] == [wisp["id"]]
    assert bosun.ok("work", "update", a["id"], "--status", "rejected")["status"] == "rejected"


def test_signals_and_events(bosun: Bosun) -> None:
    bosun.ok("identity", "create", "guardian", "run1")
    bosun.ok("identity", "create", "runner", "run1-impl")
    sig = bosun.ok("signal", "send", "guardian/run1", "MERGE_READY", "--payload",
                   '{"branch": "bosun/impl"}', env={"BOSUN_IDENTITY": "runner/run1-impl"})
    assert sig["from"] == "runner/run1-impl" and sig["payload"] == {"branch": "bosun/impl"}
    custom = bosun.ok("signal", "send", "guardian/run1", "x-progress")
    unread = bosun.ok("signal", "list", "--for", "guardian/run1", "--unread")
    assert {s["id"] for s in unread} == {sig["id"], custom["id"]}
    bosun.ok("signal", "ack", sig["id"])
    assert [s["id"] for s in bosun.ok("signal", "list", "--for", "guardian/run1", "--unread")] \
        == [custom["id"]]
    kinds = [e["kind"] for e in bosun.ok("events", "--kind", "signal.")]
    assert kinds == ["signal.sent", "signal.sent", "signal.acked"]
    first = bosun.ok("events", "--limit", "1000")[0]["id"]
    assert all(e["id"] > first for e in bosun.ok("events", "--since", str(first)))


def test_every_agent_call_counts_as_a_heartbeat(bosun: Bosun) -> None:
    before = bosun.ok("identity", "create", "polecat", "nux")["last_seen"]
    bosun.ok("work", "list", env={"BOSUN_IDENTITY": "polecat/nux"})
    assert bosun.ok("identity", "show", "polecat", "nux")["last_seen"] > before


def test_version_and_help() -> None:
    bosun = Bosun(Path("/"))
    assert bosun("--version").out.startswith("bosun ")
    result = bosun("--help")
    assert result.code == 0 and "identity" in result.out and "hook" in result.out


def test_a_second_repository_is_a_separate_project(tmp_path: Path) -> None:
    one, two = Bosun(make_repo(tmp_path / "one")), Bosun(make_repo(tmp_path / "two"))
    one.ok("init")
    two.ok("init")
    one.ok("identity", "create", "a", "b")
    assert [i["identity"] for i in two.ok("identity", "list")] == ["refinery/merge-queue"]


def test_bosun_alone_prints_the_command_list(bosun: Bosun) -> None:
    for args in [(), ("identity",)]:
        result = bosun(*args)
        assert result.code == 0 and result.err == ""
        assert result.out.startswith("Usage: bosun") and "Commands:" in result.out
