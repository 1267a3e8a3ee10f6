"""Bad input gets one clear line (plus a hint), a non-zero exit, and changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clirunner import Bosun


@pytest.fixture
def seeded(bosun: Bosun) -> Bosun:
    bosun.ok("identity", "create", "polecat", "toast")
    work = bosun.ok("work", "create", "Add auth")
    bosun.ok("hook", "pin", "polecat", "toast", work["id"])
    return bosun


CASES = [
    (["identity", "create", "..", "x"], 2, "invalid role"),
    (["identity", "create", "polecat", "../x"], 2, "invalid name"),
    (["identity", "create", "A B", "x"], 2, "invalid role"),
    (["identity", "create", "polecat", ""], 2, "invalid name"),
    (["identity", "create", "polecat", "x" * 200], 2, "invalid name"),
    (["identity", "show", "polecat", "nobody"], 2, "no identity polecat/nobody"),
    (["identity", "list", "--status", "sleepy"], 2, "unknown identity status"),
    (["identity", "find-stale", "--timeout", "-1"], 2, "negative"),
    (["hook", "pin", "polecat", "toast", "bo-0000"], 2, "no work item"),
    (["hook", "update-phase", "polecat", "toast", "merged"], 2, "cannot go from assigned to merged"),
    (["hook", "update-phase", "polecat", "toast", "done"], 2, "unknown phase"),
    (["hook", "checkpoint", "polecat", "toast", "--note", "x" * 70000], 2, "limit is 65536"),
    (["work", "update", "bo-0000", "--status", "closed"], 2, "no work item"),
    (["work", "create", "t", "--priority", "9"], 2, "priority 9 is out of range"),
    (["work", "create", "t", "--wisp", "--ttl", "soon"], 2, "not a duration"),
    (["signal", "send", "polecat/toast", "NUDGE", "--payload", "{oops"], 2, "payload is not JSON"),
    (["signal", "send", "polecat/toast", "HELLO"], 2, "unknown signal type"),
    (["signal", "send", "polecat/ghost", "NUDGE"], 2, "no identity polecat/ghost"),
    (["signal", "ack", "sg-missing"], 2, "no signal"),
    (["prime"], 2, "no identity to prime"),
]


@pytest.mark.parametrize(("args", "code", "message"), CASES, ids=[" ".join(c[0])[:50] for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(
    seeded: Bosun, args: list[str], code: int, message: str
) -> None:
    before = seeded.db_snapshot()
    result = seeded(*args)
    assert result.code == code, result.err
    lines = result.err.strip().splitlines()
    assert lines[0].startswith("error: ") and message in lines[0], result.err
    assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("hint: "))
    assert "Traceback" not in result.err
    as_json = seeded(*args, "--json")
    assert as_json.code == code
    assert set(as_json.json["error"]) == {"code", "message", "hint"}
    assert seeded.db_snapshot() == before


def test_illegal_identity_transition_is_refused(seeded: Bosun) -> None:
    seeded.ok("identity", "mark-terminated", "polecat", "toast")
    before = seeded.db_snapshot()
    result = seeded("identity", "mark-crashed", "polecat", "toast")
    assert result.code == 2 and "cannot go from terminated to crashed" in result.err
    assert seeded.db_snapshot() == before


def test_outside_a_project_every_command_says_how_to_start(tmp_path: Path) -> None:
    result = Bosun(tmp_path)("identity", "list")
    assert result.code == 2
    assert "no bosun project" in result.err and "bosun init" in result.err


def test_a_corrupt_database_is_named_and_never_recreated(bosun: Bosun, project: Path) -> None:
    db = project / ".bosun" / "bosun.db"
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    result = bosun("identity", "list")
    assert result.code == 1
    assert str(db) in result.err and "Traceback" not in result.err
    assert db.read_bytes() == b"this is not a database" * 100


def test_an_unreachable_postgres_url_names_host_and_port(bosun: Bosun) -> None:
    result = bosun("identity", "list", env={"BOSUN_DATABASE_URL":
                                            "postgresql://nobody@127.0.0.1:1/nothing"})
    assert result.code == 1
    assert "127.0.0.1:1" in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 2


def test_verbose_shows_the_traceback(bosun: Bosun) -> None:
    result = bosun("-v", "identity", "show", "polecat", "nobody")
    assert result.code == 2 and "Traceback" in result.err


def test_a_bad_config_value_is_refused_with_the_key(bosun: Bosun, project: Path) -> None:
    (project / ".bosun" / "config.toml").write_text("[identity]\nstale_after = \"soon\"\n")
    result = bosun("identity", "list")
    assert result.code == 2 and "identity.stale_after" in result.err


def test_no_traceback_for_usage_errors(bosun: Bosun) -> None:
    result = bosun("identity", "create", "only-role")
    assert result.code == 2 and "Traceback" not in result.err
    assert os.environ.get("BOSUN_IDENTITY") is None
