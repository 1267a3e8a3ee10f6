"""loop_restart guardrails and a terminal final.json on every exit path."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from pipeline_helpers import TRANSIENT, events, final, graph, names, options, run, tool

from bosun.base.errors import InvalidInput, InvalidName, LockHeld, NotFound
from bosun.pipeline.handlers.registry import HandlerRegistry, default_registry
from bosun.pipeline.launch import RunRefused, resume_run, start_run
from bosun.pipeline.outcomes import Outcome
from bosun.pipeline.rundir import RunLock
from waiting import wait_for

RESTART = graph(
    tool("work", "true"),
    'check [shape=parallelogram, tool_command="CMD"]',
    "start -> work",
    'work -> check [condition="outcome=success"]',
    'work -> exit [condition="outcome=fail"]',
    'check -> exit [condition="outcome=success"]',
    'check -> work [condition="outcome=fail", loop_restart=true]',
)


def test_loop_restart_is_blocked_for_a_deterministic_failure(tmp_path: Path) -> None:
    record, base = run(tmp_path, RESTART.replace("CMD", "exit 1"))
    assert record.status.value == "fail"
    assert record.failure_reason.startswith("loop_restart_blocked: ")
    assert "failure_class=deterministic" in record.failure_reason
    assert not (base / "restart-1").exists()
    assert final(base)["status"] == "fail"
    assert "loop_restart_blocked" in names(base)
    assert names(base)[-1] == "run_failed"


def test_transient_restarts_until_the_signature_circuit_breaker(tmp_path: Path) -> None:
    text = RESTART.replace('"CMD"', json.dumps(TRANSIENT))
    record, base = run(tmp_path, text)
    assert record.status.value == "fail"
    assert record.failure_reason.startswith("loop_restart_circuit_breaker: ")
    assert record.restart_count == 2
    assert (base / "restart-1").is_dir() and (base / "restart-2").is_dir()
    assert not (base / "restart-3").exists()
    assert final(base) == final(base / "restart-2")  # mirrored to the base directory
    assert final(base)["restart_count"] == 2
    restarted = events(base / "restart-1")
    assert restarted[0]["event"] == "run_restarted"
    ckpt = json.loads((base / "checkpoint.json").read_text())
    assert ckpt["context"]["loop_restart.iteration_count"] == 2
    assert "tool.output" not in ckpt["context"] or ckpt["completed_nodes"][0] == "work"
    assert "loop_restart_circuit_breaker" in names(base / "restart-2")


def test_max_restarts_bounds_restarts(tmp_path: Path) -> None:
    text = RESTART.replace('"CMD"', json.dumps(TRANSIENT)).replace(
        "digraph G {", "digraph G { max_restarts=1; loop_restart_signature_limit=9"
    )
    record, base = run(tmp_path, text)
    assert record.failure_reason.startswith("max_restarts_exceeded")
    assert record.restart_count == 1 and final(base)["status"] == "fail"


def test_validation_error_after_start_writes_final_json(tmp_path: Path) -> None:
    text = graph(tool("a", ""), "start -> a", 'a -> exit [condition="outcome=success"]')
    with pytest.raises(RunRefused) as err:
        run(tmp_path, text)
    assert err.value.exit_code == 2
    data = final(tmp_path / "runs" / "r1")
    assert data["status"] == "fail"
    assert data["failure_reason"].startswith("validation: 1 error(s): [tool_command_required]")
    assert not (tmp_path / "runs" / "r1" / "checkpoint.json").exists()


def test_malformed_dot_after_start_writes_final_json(tmp_path: Path) -> None:
    with pytest.raises(RunRefused) as err:
        run(tmp_path, "digraph {\n  a -> \n}")
    assert ":3:1:" in err.value.message
    assert final(tmp_path / "runs" / "r1")["failure_reason"].startswith("validation: ")


def test_preflight_failure_writes_report_and_final_json(tmp_path: Path) -> None:
    text = graph(
        'a [prompt="x", llm_provider="anthropic", llm_model="gpt-9000"]',
        "start -> a",
        'a -> exit [condition="outcome=success"]',
    )
    opts = options(tmp_path)
    opts.strict_models = True  # without --strict-models an unknown model is a warning
    with pytest.raises(RunRefused):
        run(tmp_path, text, opts=opts)
    base = tmp_path / "runs" / "r1"
    assert final(base)["failure_reason"].startswith("preflight: ")
    report = json.loads((base / "preflight_report.json").read_text())
    assert report["ok"] is False
    assert report["checks"][0]["check"] == "model_in_catalog"
    assert not (base / "a").exists()  # no node ran


def test_cancel_kills_the_tool_and_writes_a_canceled_final(tmp_path: Path) -> None:
    marker = tmp_path / "ws" / "child.pid"
    text = graph(
        tool("slow", f"sleep 60 & echo $! > {marker}; wait"),
        "start -> slow",
        'slow -> exit [condition="outcome=success"]',
    )
    opts = options(tmp_path)
    graph_file = tmp_path / "g.dot"
    graph_file.write_text(text)
    result: dict[str, object] = {}
    worker = threading.Thread(target=lambda: result.update(r=start_run(graph_file, opts, "r1")))
    worker.start()
    try:
        wait_for(lambda: marker.exists() and marker.read_text().strip(), timeout=30)
        opts.cancel.cancel("canceled by SIGTERM")
        worker.join(30)
    finally:
        opts.cancel.cancel("test cleanup")
        worker.join(30)
    data = final(tmp_path / "runs" / "r1")
    assert data["status"] == "canceled"
    assert data["failure_reason"] == "canceled by SIGTERM"
    child = int(marker.read_text())
    wait_for(
        lambda: (
            not Path(f"/proc/{child}").exists()
            or "Z" in Path(f"/proc/{child}/stat").read_text().split(")")[1][:3]
        ),
        timeout=10,
    )


def test_the_stall_watchdog_fails_a_run_without_progress(tmp_path: Path) -> None:
    text = graph(
        tool("hang", "sleep 60", 'timeout="2m"'),
        "start -> hang",
        'hang -> exit [condition="outcome=success"]',
        attrs='stall_timeout="300ms"',
    )
    record, base = run(tmp_path, text)
    assert record.status.value == "fail"
    assert record.failure_reason.startswith("stall watchdog: no progress for")
    assert "stall_watchdog_timeout" in names(base)


def test_an_engine_exception_still_writes_final_json(tmp_path: Path) -> None:
    class Broken:
        def run(self, hc):  # type: ignore[no-untyped-def]
            return Outcome("success", jump_to="no_such_node")

    registry: HandlerRegistry = default_registry()
    registry.register("tool", Broken())
    text = graph(tool("a", "true"), "start -> a", 'a -> exit [condition="outcome=success"]')
    record, base = run(tmp_path, text, registry=registry)
    assert record.status.value == "fail"
    assert record.failure_reason.startswith("engine error: KeyError")
    assert (base / "engine_error.txt").exists()
    assert names(base)[-1] == "run_failed"


def test_bad_run_ids_and_logs_roots_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    text = graph(tool("a", "true"), "start -> a", 'a -> exit [condition="outcome=success"]')
    g = tmp_path / "g.dot"
    g.write_text(text)
    for bad in ("a/b", "..", "x..y", "parallel", ""):
        with pytest.raises(InvalidName):
            start_run(g, options(tmp_path), bad or "/")
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(InvalidInput, match="is a file"):
        start_run(g, options(tmp_path), "r1", afile)
    with pytest.raises(InvalidInput, match="not writable"):
        start_run(g, options(tmp_path), "r1", afile / "sub")
    with pytest.raises(InvalidInput, match="cannot create"):
        start_run(g, options(tmp_path), "r1", Path("/proc/bosun-test-run"))
    assert not (tmp_path / "runs").exists()


def test_resuming_a_directory_that_is_not_a_run_writes_nothing(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(NotFound, match="not a run directory"):
        resume_run(plain, options(tmp_path))
    assert list(plain.iterdir()) == []


def test_a_resume_that_fails_before_the_engine_writes_final_json(tmp_path: Path) -> None:
    text = graph(tool("a", "exit 1"), "start -> a", 'a -> exit [condition="outcome=success"]')
    _, base = run(tmp_path, text)
    (base / "checkpoint.json").write_text("{not json")
    with pytest.raises(Exception, match="not valid JSON"):
        resume_run(base, options(tmp_path))
    data = final(base)
    assert data["status"] == "fail" and data["failure_reason"].startswith("resume: ")


def test_a_relative_state_root_is_rejected_at_resume(tmp_path: Path) -> None:
    text = graph(tool("a", "exit 1"), "start -> a", 'a -> exit [condition="outcome=success"]')
    _, base = run(tmp_path, text)
    ckpt = json.loads((base / "checkpoint.json").read_text())
    ckpt["logs_root"] = "runs/r1"
    (base / "checkpoint.json").write_text(json.dumps(ckpt))
    with pytest.raises(InvalidInput, match="relative"):
        resume_run(base, options(tmp_path))
    assert "relative" in final(base)["failure_reason"]


def test_two_processes_cannot_own_one_run_directory(tmp_path: Path) -> None:
    text = graph(tool("a", "exit 1"), "start -> a", 'a -> exit [condition="outcome=success"]')
    _, base = run(tmp_path, text)
    (base / "final.json").unlink()
    with RunLock(base / "run.lock"), pytest.raises(LockHeld):
        resume_run(base, options(tmp_path))
    assert not (base / "final.json").exists()


class _Killed(BaseException):
    """Stands for kill -9: nothing after it runs, no final.json is written."""


def test_a_run_killed_between_a_stages_two_checkpoints_does_not_run_the_stage_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bosun.pipeline.engine import Engine

    ledger = tmp_path / "ledger"
    text = graph(
        tool("a", f"echo a >> {ledger}"),
        tool("b", f"echo b >> {ledger}"),
        "start -> a -> b",
        'b -> exit [condition="outcome=success"]',
    )
    routed = Engine._routed

    def killed_after_a(self: Engine, node: object, outcome: Outcome) -> None:
        if getattr(node, "id", "") == "a":
            raise _Killed
        routed(self, node, outcome)  # type: ignore[arg-type]

    monkeypatch.setattr(Engine, "_routed", killed_after_a)
    with pytest.raises(_Killed):
        run(tmp_path, text)
    base = tmp_path / "runs" / "r1"
    ckpt = json.loads((base / "checkpoint.json").read_text())
    assert ckpt["route_pending"] is True and ckpt["completed_nodes"] == ["start", "a"]
    monkeypatch.setattr(Engine, "_routed", routed)
    record = resume_run(base, options(tmp_path))
    assert record.status.value == "success"
    assert ledger.read_text().split() == ["a", "b"]  # a ran once
    done = json.loads((base / "checkpoint.json").read_text())["completed_nodes"]
    assert done == ["start", "a", "b", "exit"]
