"""`bosun tui` as a user runs it, and what it must not cost the other commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from clirunner import Bosun


def test_other_commands_never_import_textual(project: Path) -> None:
    subprocess.run([sys.executable, "-m", "bosun", "identity", "create", "polecat", "t"],
                   cwd=project, check=True, capture_output=True)
    for argv in (["identity", "heartbeat", "polecat", "t"], ["agent", "list", "--json"],
                 ["status", "--json"]):
        probe = ("import sys, io, contextlib; from bosun.cli.app import main; "
                 "buf = io.StringIO()\n"
                 f"with contextlib.redirect_stdout(buf): code = main({argv!r})\n"
                 "print(code, 'textual' in sys.modules)")
        out = subprocess.run([sys.executable, "-c", probe], cwd=project, check=True,
                             capture_output=True, text=True).stdout
        assert out.splitlines()[-1] == "0 False", argv


def test_tui_json_prints_one_snapshot_and_refuses_without_a_terminal(bosun: Bosun) -> None:
    bosun.ok("identity", "create", "polecat", "toast")
    snap = bosun.ok("tui")
    assert set(snap) == {"taken_at", "agents", "runs", "merge_queue", "events", "problems"}
    assert snap["agents"] == []  # an identity without a runtime is not an agent session
    assert [e["kind"] for e in snap["events"]] == ["identity.created"]
    plain = bosun("tui")
    assert plain.code == 2 and "needs a terminal" in plain.err and "--json" in plain.err
    fast = bosun("tui", "--refresh", "0.05")
    assert fast.code == 2 and "too fast" in fast.err


def test_agent_answer_refuses_bad_keys_and_unknown_agents(bosun: Bosun) -> None:
    bad = bosun("agent", "answer", "toast", "")
    assert bad.code == 2 and "printable" in bad.err
    missing = bosun("agent", "answer", "toast", "y")
    assert missing.code == 2 and "no agent named 'toast'" in missing.err
