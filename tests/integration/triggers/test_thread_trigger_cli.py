"""`bosun thread …`, `bosun trigger` and `bosun triggers …` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bosun.cli.app import main


@pytest.fixture
def cli(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
        tmux_socket: str):
    monkeypatch.chdir(project)
    monkeypatch.setenv("BOSUN_RUNTIME_TMUX_SOCKET", tmux_socket)
    runtimes = project / ".bosun" / "runtimes"
    runtimes.mkdir()
    (runtimes / "ghost.toml").write_text(
        'description = "a CLI that is not installed"\nargv = ["bosun-no-such-cli"]\n'
    )

    def run(*args: str) -> tuple[int, Any, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        data = json.loads(out) if "--json" in args and out.strip() else out
        return code, data, err

    run("identity", "create", "dev", "a", "--runtime", "ghost", "--session-id", "s-a")
    run("identity", "create", "dev", "b", "--runtime", "sim", "--session-id", "s-b")
    return run


def test_a_thread_conversation_with_cursors(cli: Any) -> None:
    code, thread, _ = cli(
        "thread", "create", "review", "-p", "dev/a", "-p", "dev/b", "-p", "person/ann", "--json"
    )
    assert code == 0
    tid = thread["id"]
    assert cli("thread", "post", tid, "look \x1b[31mhere\x07", "--as", "dev/b")[0] == 0
    code, unread, _ = cli("thread", "list", "--unread-for", "dev/a", "--json")
    assert [(v["thread_id"], v["unread"]) for v in unread] == [(tid, 1)]
    code, text, _ = cli("thread", "read", tid, "--as", "dev/a")
    assert "#1 dev/b: look \\x1b[31mhere\\x07" in text  # shown escaped, stored as written
    code, read, _ = cli("thread", "read", tid, "--as", "dev/a", "--json")
    assert read["messages"] == [] and read["cursor"] == 1
    code, people, _ = cli("thread", "participants", tid, "--json")
    assert {p["participant"]: p["kind"] for p in people} == {
        "dev/a": "identity",
        "dev/b": "identity",
        "person/ann": "person",
    }
    assert cli("thread", "close", tid)[0] == 0
    code, _, err = cli("thread", "post", tid, "late")
    assert code == 2 and err.startswith("error: thread") and "hint:" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["thread", "post", "th-none", "x"], "no thread 'th-none'"),
        (["thread", "create", "t", "-p", "dev/ghost"], "no identity dev/ghost"),
        (["thread", "create", "t", "-p", "not-an-identity"], "invalid identity"),
        (["trigger", "dev/a", "--thread", "th-none"], "no thread 'th-none'"),
        (["triggers", "requeue", "tj-none"], "no trigger job 'tj-none'"),
        (["triggers", "list", "--state", "sleepy"], "unknown job state 'sleepy'"),
    ],
)
def test_bad_input_is_one_line_with_a_hint(cli: Any, args: list[str], message: str) -> None:
    code, _, err = cli(*args)
    lines = err.strip().splitlines()
    assert code == 2 and lines[0].startswith("error: ") and message in lines[0]
    assert lines[1].startswith("hint: ")


def test_an_oversized_body_and_a_non_participant_change_nothing(cli: Any) -> None:
    tid = cli("thread", "create", "t", "-p", "dev/a", "--json")[1]["id"]
    code, _, err = cli("thread", "post", tid, "x" * (64 * 1024 + 1), "--as", "dev/a")
    assert code == 2 and "limit is 65536 bytes" in err
    code, _, err = cli("thread", "post", tid, "hi", "--as", "dev/b")
    assert code == 2 and "not a participant" in err
    assert cli("thread", "list", "--json")[1][0]["last_seq"] == 0


def test_trigger_force_needs_why_and_is_audited(cli: Any) -> None:
    tid = cli("thread", "create", "t", "-p", "dev/a", "-p", "dev/b", "--json")[1]["id"]
    cli("thread", "post", tid, "hello", "--as", "dev/b")
    code, _, err = cli("trigger", "dev/a", "--thread", tid, "--force")
    assert code == 2 and "needs a reason" in err and "--why" in err
    code, envelope, _ = cli(
        "trigger", "dev/a", "--thread", tid, "--force", "--why", "urgent fix", "--json"
    )
    assert code == 0 and envelope["action"] == "enqueued" and envelope["reason"] == "forced"
    code, events, _ = cli("triggers", "list", "--json")
    assert events[0]["force_why"] == "urgent fix"


def test_work_once_runs_the_chain_and_dead_jobs_can_be_requeued(cli: Any) -> None:
    tid = cli("thread", "create", "t", "-p", "dev/a", "-p", "dev/b", "--json")[1]["id"]
    cli("thread", "post", tid, "hello", "--as", "dev/b")
    job = cli("trigger", "dev/a", "--thread", tid, "--json")[1]["job_id"]
    code, stats, _ = cli("triggers", "work", "--once", "--json")
    assert code == 0 and stats["processed"] >= 1
    code, shown, _ = cli("triggers", "show", job, "--json")
    # dev/a has no session and its CLI is not installed: every hop fails, honestly
    assert shown["job"]["state"] == "escalated"
    assert "not on PATH" in json.dumps(shown)
    assert shown["attempts"] and all(a["reason"] for a in shown["attempts"])
    code, back, _ = cli("triggers", "requeue", job, "--json")
    assert code == 0 and back["state"] == "queued"
    code, workers, _ = cli("triggers", "workers", "--json")
    assert workers[0]["state"] == "stopped"


def test_unblocking_a_pair_that_is_not_blocked_is_refused(cli: Any) -> None:
    tid = cli("thread", "create", "t", "-p", "dev/a", "--json")[1]["id"]
    code, _, err = cli("triggers", "unblock", "dev/a", "--thread", tid)
    assert code == 2 and "not blocked" in err
    assert cli("triggers", "blocked", "--json")[1] == []
