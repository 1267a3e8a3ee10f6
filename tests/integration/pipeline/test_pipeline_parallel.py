"""Parallel fan-out/fan-in with each join policy (real processes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pipeline_helpers import events, run, tool


def fan(policy: str, cmds: dict[str, str], extra: str = "") -> str:
    lines = [
        f'fan [shape=component, join_policy="{policy}"{extra}]',
        "join [shape=tripleoctagon]",
        "start -> fan",
    ]
    for name, cmd in cmds.items():
        lines += [tool(name, cmd), f"fan -> {name}", f"{name} -> join"]
    lines += [
        'join -> exit [condition="outcome=success"]',
        'join -> exit [condition="outcome=partial_success"]',
        'join -> done_bad [condition="outcome=fail"]',
        tool("done_bad", "true"),
        'done_bad -> exit [condition="outcome=success"]',
    ]
    body = "\n  ".join(lines)
    return f"digraph G {{\n  start [shape=Mdiamond]\n  exit [shape=Msquare]\n  {body}\n}}\n"


def ctx(base: Path) -> dict:
    return json.loads((base / "checkpoint.json").read_text())["context"]


def test_wait_all_succeeds_when_every_branch_does(tmp_path: Path) -> None:
    record, base = run(tmp_path, fan("wait_all", {"b1": "true", "b2": "true", "b3": "true"}))
    assert record.status.value == "success"
    c = ctx(base)
    assert [r["status"] for r in c["parallel.results"]] == ["success"] * 3
    assert c["parallel.fan_in.best_id"] == "b1"
    assert json.loads((base / "checkpoint.json").read_text())["completed_nodes"] == [
        "start",
        "fan",
        "join",
        "exit",
    ]


def test_wait_all_reports_the_branch_that_failed(tmp_path: Path) -> None:
    record, base = run(tmp_path, fan("wait_all", {"b1": "true", "b2": "exit 4", "b3": "true"}))
    c = ctx(base)
    assert c["parallel.outcome"] == "partial_success"
    assert c["parallel.fan_in.missing"] == ["b2"]
    assert "b2: fail" in c["parallel.failure_reason"]
    assert record.status.value == "success"


def test_first_success_cancels_the_other_branches(tmp_path: Path) -> None:
    record, base = run(tmp_path, fan("first_success", {"quick": "true", "slow": "sleep 60"}))
    assert record.status.value == "success"
    results = {r["branch"]: r for r in ctx(base)["parallel.results"]}
    assert results["quick"]["status"] == "success"
    assert results["slow"]["status"] == "fail"
    assert "canceled" in results["slow"]["failure_reason"]


@pytest.mark.parametrize(("k", "expected"), [("2", "success"), ("3", "fail")])
def test_k_of_n(tmp_path: Path, k: str, expected: str) -> None:
    _, base = run(
        tmp_path, fan("k_of_n", {"b1": "true", "b2": "true", "b3": "false"}, f', k="{k}"')
    )
    assert ctx(base)["parallel.outcome"] == expected


@pytest.mark.parametrize(("fraction", "expected"), [("0.5", "fail"), ("0.3", "success")])
def test_quorum(tmp_path: Path, fraction: str, expected: str) -> None:
    _, base = run(
        tmp_path,
        fan(
            "quorum",
            {"b1": "true", "b2": "false", "b3": "false"},
            f', quorum_fraction="{fraction}"',
        ),
    )
    assert ctx(base)["parallel.outcome"] == expected
    completed = json.loads((base / "checkpoint.json").read_text())["completed_nodes"]
    assert ("done_bad" in completed) is (expected == "fail")


def test_max_parallel_one_runs_branches_one_at_a_time(
    tmp_path: Path,
) -> None:
    log = tmp_path / "ws" / "log"
    cmd = f"echo start >> {log}; sleep 0.2; echo end >> {log}"
    record, base = run(tmp_path, fan("wait_all", {"b1": cmd, "b2": cmd}, ", max_parallel=1"))
    assert record.status.value == "success"
    assert log.read_text().split() == ["start", "end", "start", "end"]
    done = [e for e in events(base) if e["event"] == "parallel_branch_done"]
    assert len(done) == 2
