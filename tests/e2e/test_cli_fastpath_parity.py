"""The hot commands answer the same through the fast path as through the full CLI,
and the fast path loads neither typer nor click."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from clirunner import Bosun

FULL = {"BOSUN_NO_FAST_PATH": "1"}


def _stable(data: Any) -> Any:
    """Drop the fields that change from one call to the next (times, ids)."""
    if isinstance(data, dict):
        return {k: _stable(v) for k, v in data.items()
                if k not in {"id", "at", "last_seen"} and not k.endswith(("_at", "_age_s"))}
    if isinstance(data, list):
        return [_stable(v) for v in data]
    return data


def test_hot_commands_answer_the_same_on_both_paths(bosun: Bosun) -> None:
    bosun.ok("identity", "create", "polecat", "toast")
    work = bosun.ok("work", "create", "Add login")
    bosun.ok("hook", "pin", "polecat", "toast", work["id"])
    calls = [
        ("identity", "heartbeat", "polecat", "toast"),
        ("hook", "checkpoint", "polecat", "toast", "--note", "tests pass"),
        ("prime", "polecat", "toast"),
        ("signal", "send", "polecat/toast", "NUDGE", "--payload", '{"n": 1}'),
    ]
    for call in calls:
        fast, full = bosun(*call, "--json"), bosun(*call, "--json", env=FULL)
        assert (fast.code, fast.err) == (full.code, full.err) == (0, ""), call
        assert _stable(json.loads(fast.out)) == _stable(json.loads(full.out)), call
    text_fast = bosun("identity", "heartbeat", "polecat", "toast")
    text_full = bosun("identity", "heartbeat", "polecat", "toast", env=FULL)
    assert text_fast.out == text_full.out == "polecat/toast seen (active)\n"


def test_errors_are_the_same_on_both_paths(bosun: Bosun) -> None:
    for call in [("identity", "heartbeat", "polecat", "nobody"),
                 ("signal", "send", "polecat/x", "NUDGE", "--payload", "[1, 2"),
                 ("hook", "checkpoint", "Bad Name", "x")]:
        fast, full = bosun(*call), bosun(*call, env=FULL)
        assert fast.code == full.code != 0, call
        assert fast.err == full.err and fast.err.startswith("error: "), call


def test_the_fast_path_imports_neither_typer_nor_click(project: Path) -> None:
    subprocess.run([sys.executable, "-m", "bosun", "identity", "create", "polecat", "t"],
                   cwd=project, check=True, capture_output=True)
    probe = ("import sys; from bosun.cli.app import main; "
             "code = main(['identity', 'heartbeat', 'polecat', 't']); "
             "print(code, sorted(m for m in ('typer', 'click') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=project, check=True,
                         capture_output=True, text=True).stdout
    assert out.splitlines()[-1] == "0 []"
