"""No gates configured: `bosun init`, `bosun status` and the first landing say loudly that
work lands untested and how to add a gate; configuring a gate removes the warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

GATE = '[merge_queue]\ngates = ["test -f README.md"]\n'


def _bosun(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bosun", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )


def test_init_warns_that_work_lands_untested_until_a_gate_is_configured(git_repo: Path) -> None:
    out = _bosun(git_repo, "init")
    assert out.returncode == 0, out.stderr
    assert "no merge gates are configured" in out.stdout
    assert "lands on main untested" in out.stdout
    assert "[merge_queue]" in out.stdout and 'gates = ["' in out.stdout
    config = git_repo / ".bosun" / "config.toml"
    config.write_text(config.read_text() + "\n" + GATE)
    again = _bosun(git_repo, "init", "--json")
    assert json.loads(again.stdout)["warnings"] == []
    assert "untested" not in _bosun(git_repo, "init").stdout


def test_status_warns_without_gates_but_check_does_not_count_it(mq) -> None:
    text = mq.cli("status").stdout
    assert "WARNING: no merge gates are configured" in text
    assert 'gates = ["' in text
    data = mq.cli_json("status")
    assert any("untested" in w for w in data["warnings"])
    assert not any("untested" in a for a in data["attention"])  # --check stays as it was
    mq.write_config(GATE)
    gated = mq.cli_json("status")
    assert gated["warnings"] == []
    assert "untested" not in mq.cli("status").stdout


def test_the_first_untested_landing_records_an_event_and_says_so(mq) -> None:
    mq.commit_on("feat/a", {"a.txt": "a\n"})
    mq.commit_on("feat/b", {"b.txt": "b\n"})
    a = mq.enqueue("feat/a")
    first = mq.cli("merge-queue", "process")
    assert first.returncode == 0, first.stderr
    assert "landed untested" in first.stdout and "gates" in first.stdout
    [event] = mq.events("merge.untested")
    assert event.subject == "main" and event.data["requests"] == [a.id]
    [landed] = mq.events("merge.landed")
    assert landed.data["untested"] is True
    mq.enqueue("feat/b")
    assert mq.process().untested is True
    assert len(mq.events("merge.untested")) == 1  # only the first landing records it


def test_a_gated_landing_records_no_untested_event(mq) -> None:
    mq.commit_on("feat/a", {"a.txt": "a\n"})
    mq.enqueue("feat/a")
    mq.configure(merge_queue__gates=["test -f README.md"])
    report = mq.process()
    assert report.merged and report.untested is False
    assert mq.events("merge.untested") == []
    assert mq.events("merge.landed")[0].data["untested"] is False


def test_a_foreground_process_shows_each_request_as_it_moves(mq) -> None:
    mq.commit_on("feat/a", {"a.txt": "a\n"})
    mq.commit_on("feat/b", {"a.txt": "b\n"})  # conflicts with feat/a once a lands
    a, b = mq.enqueue("feat/a"), mq.enqueue("feat/b")
    out = mq.cli("merge-queue", "process")
    assert out.returncode == 0, out.stderr
    shown = [line for line in out.stderr.splitlines() if line.startswith(("●", "✓", "✗"))]
    assert f"● {a.id} feat/a: testing (batch" in shown[0]
    assert f"✓ {a.id} feat/a: landed on main" in shown
    assert f"✗ {b.id} feat/b: conflict, handed back" in shown
    quiet = mq.cli("merge-queue", "process", "--json")
    assert not [line for line in quiet.stderr.splitlines() if line.startswith(("●", "✓"))]
