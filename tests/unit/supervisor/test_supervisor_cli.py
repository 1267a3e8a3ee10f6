"""`bosun guards` and `bosun resume-queue`, run in-process against a real project."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bosun.cli.app import main
from bosun.core.context import open_project
from bosun.supervisor.guards import report_guard
from bosun.supervisor.policies.resume import EndCause, ResumeConfig, SessionEnding
from bosun.supervisor.resume_queue import ResumeQueue


@pytest.fixture
def home(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("BOSUN_HOME", str(project))
    yield project


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_guards_lists_every_guard_and_flags_the_unreported(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "guards", "--json")
    assert code == 0
    data = json.loads(out)
    names = {g["guard"] for g in data["guards"]}
    assert {
        "patrol",
        "recovery_ladder",
        "context_cycling",
        "resume_queue",
        "host_lock",
        "merge_queue",
        "trigger_workers",
        "sentinel",
    } <= names
    postures = {g["guard"]: g["posture"] for g in data["guards"]}
    assert postures["patrol"] == "off-runtime-divergent"
    assert "resume_queue off-runtime-divergent" in data["attention"]


def test_guards_reads_the_supervisors_reports(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = socket.gethostname()
    with open_project(home) as ctx, ctx.store.transaction() as tx:
        for guard in ("patrol", "recovery_ladder", "context_cycling", "resume_queue"):
            report_guard(tx, guard, host, enabled=True, cadence=3600.0)
        report_guard(
            tx,
            "host_lock",
            host,
            enabled=False,
            cadence=3600.0,
            error="not taking over supervisor.lock: held by host 'old'",
        )
    code, out, _ = run(capsys, "guards")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "on-confirmed" in lines["patrol"]
    assert "errored" in lines["host_lock"] and "held by host 'old'" in lines["host_lock"]
    assert "host_lock" in lines["attention:"]
    assert run(capsys, "guards", "--check")[0] == 1


def test_guards_check_passes_when_every_guard_is_confirmed_or_off(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOSUN_SENTINEL_ENABLED", "false")
    host = socket.gethostname()
    with open_project(home) as ctx, ctx.store.transaction() as tx:
        for guard in (
            "patrol",
            "recovery_ladder",
            "context_cycling",
            "resume_queue",
            "host_lock",
            "merge_queue",
            "trigger_workers",
        ):
            report_guard(tx, guard, host, enabled=True, cadence=3600.0)
    code, out, _ = run(capsys, "guards", "--check", "--json")
    data = json.loads(out)
    assert code == 0 and data["attention"] is None
    postures = {g["guard"]: g["posture"] for g in data["guards"]}
    assert postures["sentinel"] == "off" and postures["patrol"] == "on-confirmed"


def test_resume_queue_list_cancel_requeue(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_project(home) as ctx:
        _, entry = ResumeQueue(ctx, ResumeConfig()).consider(
            SessionEnding("polecat/toast", EndCause.EXTERNAL, True, "bo-1")
        )
    assert entry is not None
    code, out, _ = run(capsys, "resume-queue", "list", "--json")
    assert code == 0
    [listed] = json.loads(out)
    assert listed["id"] == entry.id and listed["status"] == "queued"
    assert listed["cause"] == "external" and listed["work_id"] == "bo-1"
    code, out, _ = run(capsys, "resume-queue", "cancel", entry.id)
    assert code == 0 and "cancelled" in out
    code, out, _ = run(capsys, "resume-queue", "list", "--status", "cancelled")
    assert entry.id in out and "cancelled by an operator" in out
    code, out, _ = run(capsys, "resume-queue", "requeue", entry.id, "--json")
    assert code == 0 and json.loads(out)["status"] == "queued"


def test_resume_queue_bad_input_is_one_line_and_exit_2(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "resume-queue", "cancel", "rq-nope")
    assert code == 2
    assert err.splitlines() == [
        "error: no resume-queue entry 'rq-nope'",
        "hint: list entries with `bosun resume-queue list`",
    ]
    code, out, _ = run(capsys, "resume-queue", "list", "--status", "sleeping", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "invalid_input"
