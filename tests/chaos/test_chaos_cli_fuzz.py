"""Campaign (a): a bad-input fuzzer over the CLI.

Hypothesis builds commands from a small grammar with hostile values (NaN, 1e999, huge
integers, deep JSON, escape sequences, invalid UTF-8 on stdin…). For every command: no
traceback and no internal error; a refusal exits 2 and leaves the database exactly as it
was; and afterwards the listings still print strict JSON (no NaN, no crash)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chaosmode import LONG, figures, size
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clirunner import Bosun
from gitrepo import make_repo

EXAMPLES = size(60, 1500)

HOSTILE = [
    "",
    " ",
    "-",
    "--",
    "0",
    "-1",
    "1e999",
    "NaN",
    "Infinity",
    "-Infinity",
    "9" * 30,
    "99999999999d",
    "1.5",
    "../x",
    "a/b/c",
    "x" * 300,
    "\x1b[31mred\x1b[0m",
    "\x1b]0;t\x07",
    "\u202etxt",
    "é",
    "🙂",
    '{"a": NaN}',
    '{"a": 1e999}',
    '{"a": -Infinity}',
    "[" * 3000,
    "[" * 5000 + "]" * 5000,
    '{"a": 1}',
    "{}",
    "[]",
    "null",
    '"x"',
    "polecat/toast",
    "polecat/ghost",
    "bo-0000",
    "15m",
    "0s",
    "-5s",
]
PRINTABLE = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
VALUE = st.one_of(st.sampled_from(HOSTILE), PRINTABLE)
INT = st.one_of(st.integers(-(2**70), 2**70).map(str), VALUE)
PHASES = st.sampled_from(["executing", "merged", "merge_ready", "done", "", "assigned"])


def _commands() -> st.SearchStrategy[list[str]]:
    return st.one_of(
        st.tuples(VALUE).map(lambda t: ["work", "create", t[0]]),
        st.tuples(VALUE, INT).map(lambda t: ["work", "create", t[0], "--priority", t[1]]),
        st.tuples(VALUE, VALUE).map(lambda t: ["work", "create", t[0], "--wisp", "--ttl", t[1]]),
        st.tuples(VALUE).map(lambda t: ["work", "create", "t", "--body", t[0]]),
        st.just(["work", "create", "t", "--body", "-"]),
        st.tuples(VALUE).map(lambda t: ["work", "show", t[0]]),
        st.tuples(VALUE, VALUE).map(lambda t: ["signal", "send", t[0], "NUDGE", "--payload", t[1]]),
        st.tuples(VALUE).map(lambda t: ["signal", "send", "polecat/toast", t[0]]),
        st.tuples(VALUE, VALUE).map(lambda t: ["identity", "create", t[0], t[1]]),
        st.tuples(PHASES).map(lambda t: ["hook", "update-phase", "polecat", "toast", t[0]]),
        st.tuples(VALUE).map(lambda t: ["hook", "checkpoint", "polecat", "toast", "--note", t[0]]),
        st.tuples(INT).map(lambda t: ["events", "--limit", t[0]]),
        st.tuples(INT).map(lambda t: ["events", "--since", t[0]]),
        st.tuples(VALUE).map(lambda t: ["events", "--kind", t[0]]),
        st.tuples(INT).map(lambda t: ["identity", "find-stale", "--timeout", t[0]]),
        st.tuples(VALUE).map(lambda t: ["thread", "create", t[0], "-p", "polecat/toast"]),
        st.tuples(VALUE, VALUE).map(lambda t: ["thread", "post", t[0], t[1]]),
        st.tuples(VALUE).map(lambda t: ["signal", "ack", t[0]]),
    )


STDIN = st.one_of(st.binary(max_size=20), st.sampled_from([b"\xff\xfe", b"ok\n", b"\xc3"]))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from bosun.core.project import init_project

    root = make_repo(tmp_path_factory.mktemp("chaos") / "repo")
    init_project(root, env={})
    bosun = Bosun(root)
    bosun.ok("identity", "create", "polecat", "toast")
    work = bosun.ok("work", "create", "seed")
    bosun.ok("hook", "pin", "polecat", "toast", work["id"])
    yield root


def _run(root: Path, args: list[str], stdin: bytes) -> tuple[int, str, str]:
    """`bosun ARGS` in this process (fast), with its own stdin, stdout and stderr."""
    from bosun.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_stdin = os.getcwd(), sys.stdin
    os.chdir(root)
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        sys.stdin = old_stdin
        os.chdir(old_cwd)
    return code, out.getvalue(), err.getvalue()


def _strict(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"non-finite number {constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


TALLY = {"commands": 0, "refused": 0, "accepted": 0}
STARTED: list[float] = []


@pytest.mark.timeout(3600 if LONG else 300)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,  # the short campaign is the same every run; the long one explores
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(args=_commands(), as_json=st.booleans(), stdin=STDIN)
def test_no_bad_input_crashes_or_writes_partial_state(
    fleet: Path, args: list[str], as_json: bool, stdin: bytes
) -> None:
    STARTED[:] = STARTED or [time.monotonic()]
    bosun = Bosun(fleet)
    before = bosun.db_snapshot()
    as_json = as_json and "--" not in args  # after `--`, "--json" is an argument
    argv = [*args, "--json"] if as_json else args
    code, out, err = _run(fleet, argv, stdin)
    TALLY["commands"] += 1
    assert "Traceback" not in err + out, (argv, err)
    assert "report it" not in err + out, (argv, err, out)  # the internal-error hint
    assert code in (0, 2), (argv, code, err, out)
    if code:
        TALLY["refused"] += 1
        assert bosun.db_snapshot() == before, argv
        if as_json:
            assert set(_strict(out)["error"]) == {"code", "message", "hint"}
        else:
            assert err.startswith("error: ") and len(err.strip().splitlines()) <= 2, err
    else:
        TALLY["accepted"] += 1
        if as_json and out.strip():
            _strict(out)
        else:
            assert "\x1b" not in out, (argv, out)
    for listing in (["work", "list", "--include-wisps", "--json"], ["events", "--json"]):
        code, out, err = _run(fleet, listing, b"")
        assert code == 0, (argv, listing, err)
        _strict(out)


def test_zz_print_figures() -> None:
    """One line of figures for the campaign above (runs after it in file order)."""
    seconds = round(time.monotonic() - STARTED[0], 1) if STARTED else 0.0
    figures("cli-fuzz", examples=EXAMPLES, **TALLY, seconds=seconds)
