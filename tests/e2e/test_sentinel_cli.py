"""`bosun sentinel …` and `bosun commitments …` as a user (or a hook script) runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BOSUN = [sys.executable, "-m", "bosun"]


def run(
    project: Path, *args: str, stdin: bytes | None = None, enabled: bool = True, **env: str
) -> subprocess.CompletedProcess[bytes]:
    environ = {**os.environ, "BOSUN_SENTINEL_ENABLED": "true" if enabled else "false", **env}
    return subprocess.run(
        [*BOSUN, *args],
        cwd=project,
        input=stdin,
        capture_output=True,
        env=environ,
        timeout=120,
        check=False,
    )


def data(result: subprocess.CompletedProcess[bytes]) -> Any:
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()
    return json.loads(result.stdout)


def test_observe_list_show_withdraw_and_check(project: Path) -> None:
    assert run(project, "identity", "create", "polecat", "toast").returncode == 0

    off = data(
        run(
            project,
            "sentinel",
            "observe",
            "--identity",
            "polecat/toast",
            "--text",
            "Pushing it now.",
            "--json",
            enabled=False,
        )
    )
    assert (off["enabled"], off["action"]) == (False, "disabled")
    assert "sentinel is off" in run(project, "sentinel", "check", enabled=False).stdout.decode()

    message = b"\xff\xfe not utf-8 \x80\nDone. Pushing it now.\n"
    opened = data(
        run(
            project,
            "sentinel",
            "observe",
            "-",
            "--topic",
            "bo-1",
            "--json",
            stdin=message,
            BOSUN_IDENTITY="polecat/toast",
        )
    )
    assert (opened["enabled"], opened["action"]) == (True, "opened")
    assert opened["commitment"]["claim"] == "Pushing it now."
    cid = opened["commitment"]["id"]

    again = data(
        run(
            project,
            "sentinel",
            "observe",
            "--identity",
            "polecat/toast",
            "--topic",
            "bo-1",
            "--text",
            "I'll push it.",
            "--json",
        )
    )
    assert (again["action"], again["commitment"]["id"], again["commitment"]["claims"]) == (
        "updated",
        cid,
        2,
    )
    none = data(
        run(
            project,
            "sentinel",
            "observe",
            "--identity",
            "polecat/toast",
            "--text",
            "I'll take a look.",
            "--json",
        )
    )
    assert none["action"] == "no_claim"

    listed = data(
        run(project, "commitments", "list", "--identity", "polecat/toast", "--open", "--json")
    )
    assert [c["id"] for c in listed] == [cid]
    shown = data(run(project, "commitments", "show", cid, "--json"))
    assert (shown["status"], shown["verb"], shown["topic"]) == ("open", "push", "bo-1")
    assert "I'll push it." in run(project, "commitments", "list").stdout.decode()  # latest words

    checked = data(run(project, "sentinel", "check", "--json"))
    assert (checked["enabled"], checked["open_seen"], checked["nudges"]) == (True, 1, [])

    done = data(
        run(project, "commitments", "withdraw", cid, "--why", "pushed by the lead", "--json")
    )
    assert (done["status"], done["reason"]) == ("withdrawn", "pushed by the lead")
    assert data(run(project, "commitments", "list", "--open", "--json")) == []


def test_bad_input_is_one_line_with_a_hint_and_exit_2(project: Path) -> None:
    assert run(project, "identity", "create", "polecat", "toast").returncode == 0
    cases = [
        (("sentinel", "observe", "--identity", "polecat/toast"), None, "give the text"),
        (("sentinel", "observe", "--identity", "polecat/toast", "--text", "  "), None, "empty"),
        (
            ("sentinel", "observe", "--identity", "polecat/ghost", "--text", "I'll push."),
            None,
            "no identity polecat/ghost",
        ),
        (
            ("sentinel", "observe", "--identity", "toast", "--text", "I'll push."),
            None,
            "invalid identity",
        ),
        (("sentinel", "observe", "--text", "I'll push."), None, "no identity given"),
        (("sentinel", "observe", "-", "--identity", "polecat/toast"), b"", "empty"),
        (
            ("sentinel", "observe", "-", "--identity", "polecat/toast"),
            b"x" * (4 * 1024 * 1024 + 1),
            "over",
        ),
        (("commitments", "withdraw", "cm-nope"), None, "needs a reason"),
        (("commitments", "withdraw", "cm-nope", "--why", "x"), None, "no commitment"),
        (("commitments", "show", "cm-nope"), None, "no commitment"),
        (("commitments", "list", "--identity", "nope"), None, "invalid identity"),
    ]
    for args, stdin, message in cases:
        result = run(project, *args, stdin=stdin)
        err = result.stderr.decode()
        assert result.returncode == 2, (args, err)
        assert message in err.splitlines()[0], (args, err)
        assert err.splitlines()[1].startswith("hint: "), (args, err)
    assert data(run(project, "commitments", "list", "--json")) == []
