"""Bad input found by the fault and bad-input campaigns (issue 18): one clear line, exit 2,
nothing written, and no secret or terminal escape ever echoed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clirunner import Bosun, Result


@pytest.fixture
def seeded(bosun: Bosun) -> Bosun:
    bosun.ok("identity", "create", "polecat", "toast")
    work = bosun.ok("work", "create", "Add auth")
    bosun.ok("hook", "pin", "polecat", "toast", work["id"])
    return bosun


DEEP = "[" * 5000 + "]" * 5000

CASES = [
    (["work", "create", "t", "--wisp", "--ttl", "99999999999d"], "ttl"),
    (["work", "create", "t", "--wisp", "--ttl", "9" * 400], "ttl"),
    (["signal", "send", "polecat/toast", "NUDGE", "--payload", '{"a": NaN}'], "NaN"),
    (["signal", "send", "polecat/toast", "NUDGE", "--payload", '{"a": Infinity}'], "Infinity"),
    (["signal", "send", "polecat/toast", "NUDGE", "--payload", '{"a": [-Infinity]}'], "Infinity"),
    (["signal", "send", "polecat/toast", "NUDGE", "--payload", '{"a": 1e999}'], "finite"),
    (["signal", "send", "polecat/toast", "NUDGE", "--payload", DEEP], "nested"),
    (["events", "--limit", "99999999999999999999999"], "--limit"),
    (["events", "--limit", "-5"], "--limit"),
    (["identity", "find-stale", "--timeout", "nan"], "finite"),
    (["identity", "find-stale", "--timeout", "inf"], "finite"),
]


def _refused(result: Result, message: str) -> None:
    assert result.code == 2, result.err + result.out
    lines = result.err.strip().splitlines()
    assert lines and lines[0].startswith("error: ") and message in lines[0], result.err
    assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("hint: "))
    assert "Traceback" not in result.err and "internal" not in result.err.lower()


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(c[0])[:40] for c in CASES])
def test_bad_input_is_refused_cleanly_and_changes_nothing(
    seeded: Bosun, args: list[str], message: str
) -> None:
    before = seeded.db_snapshot()
    _refused(seeded(*args), message)
    as_json = seeded(*args, "--json")
    assert as_json.code == 2 and set(as_json.json["error"]) == {"code", "message", "hint"}
    assert seeded.db_snapshot() == before
    # listings still work afterwards
    assert seeded("work", "list", "--include-wisps").code == 0


def _raw(cwd: Path, args: list[str], stdin: bytes, env: dict[str, str] | None = None) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "bosun", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def test_invalid_utf8_on_stdin_is_refused(seeded: Bosun) -> None:
    before = seeded.db_snapshot()
    for args in (["work", "create", "t", "--body", "-"],):
        _refused(_raw(seeded.cwd, args, b"\xff\xfe body"), "UTF-8")
    assert seeded.db_snapshot() == before


def test_a_nul_byte_is_refused_on_every_backend(seeded: Bosun) -> None:
    before = seeded.db_snapshot()
    _refused(_raw(seeded.cwd, ["work", "create", "t", "--body", "-"], b"a\x00b"), "NUL")
    assert seeded.db_snapshot() == before


def test_a_config_toml_that_is_a_directory_is_refused(bosun: Bosun, project: Path) -> None:
    config = project / ".bosun" / "config.toml"
    config.unlink()
    config.mkdir()
    _refused(bosun("work", "list"), "config.toml")


def test_a_database_url_without_a_database_name_is_refused(bosun: Bosun) -> None:
    for url in ("postgresql://", "postgresql://postgres@127.0.0.1:5432", "postgres://h/"):
        _refused(bosun("work", "list", env={"BOSUN_DATABASE_URL": url}), "database name")


SECRET = "s3cr%zzet"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://bob:{SECRET}@127.0.0.1:5432/x",
        "postgresql://bob:hunter2@127.0.0.1:99999/x",
        "postgresql://bob:hunter2@127.0.0.1:1/x",
        "postgresql://bob:hunter2@[::1/x",
    ],
)
def test_no_error_ever_shows_the_database_password(bosun: Bosun, url: str) -> None:
    for args in (["work", "list"], ["work", "list", "--json"], ["config", "list"]):
        result = bosun(*args, env={"BOSUN_DATABASE_URL": url})
        text = result.out + result.err
        assert "s3cr" not in text and "hunter2" not in text, text
        assert "Traceback" not in text


def test_config_list_redacts_the_password(bosun: Bosun) -> None:
    url = "postgresql://bob:hunter2@127.0.0.1:5432/x"
    rows = bosun.ok("config", "list", env={"BOSUN_DATABASE_URL": url})
    shown = next(r for r in rows if r["key"] == "database_url")
    assert "hunter2" not in json.dumps(rows) and shown["value"].startswith("postgresql://bob:")


ESC = "\x1b]0;pwned\x07\x1b[31mred\x1b[0m"


def test_terminal_escapes_in_stored_text_are_escaped_in_text_output(seeded: Bosun) -> None:
    created = seeded.ok("work", "create", f"title {ESC}")
    seeded.ok("signal", "send", "polecat/toast", "NUDGE", "--payload", json.dumps({"x": ESC}))
    for args in (
        ["work", "list"],
        ["work", "show", created["id"]],
        ["signal", "list", "--for", "polecat/toast"],
        ["events"],
    ):
        result = seeded(*args)
        assert result.code == 0, result.err
        assert "\x1b" not in result.out and "\x07" not in result.out, (args, result.out)
        assert "\\x1b" in result.out or "\\u001b" in result.out, (args, result.out)
    as_json = seeded.ok("work", "show", created["id"])
    assert as_json["title"] == f"title {ESC}"  # --json keeps the exact text
