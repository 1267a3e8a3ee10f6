"""A headless run is one process group: read line by line, and killed whole when it ends."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

from bosun.runtime.headless import run_headless

# prints a session event, starts a grandchild that would outlive it, then behaves as told
AGENT = textwrap.dedent(
    """
    import json, subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    open("child.pid", "w").write(str(child.pid))
    print(json.dumps({"type": "thread.started", "thread_id": "t-7"}), flush=True)
    if sys.argv[1] == "hang":
        time.sleep(120)
    print(json.dumps({"type": "item.completed", "item": {"type": "agent_message", "text": "ok"}}))
    print(json.dumps({"type": "turn.completed", "usage": {"input_tokens": 5}}), flush=True)
    print("a warning", file=sys.stderr)
    sys.exit(int(sys.argv[2]))
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _run(tmp_path: Path, *args: str, **kw: object):  # type: ignore[no-untyped-def]
    (tmp_path / "agent.py").write_text(AGENT)
    return run_headless(
        [sys.executable, "agent.py", *args],
        cwd=tmp_path,
        env=dict(os.environ),
        events_format="codex_json",
        events_path=tmp_path / "events.ndjson",
        stderr_path=tmp_path / "stderr.log",
        **kw,  # type: ignore[arg-type]
    )


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pid)


def test_a_finished_run_reports_its_stream_and_leaves_no_process(tmp_path: Path) -> None:
    seen: list[str] = []
    result = _run(tmp_path, "finish", "0", timeout=60, on_session=seen.append)
    assert (result.exit_code, result.summary.status, result.summary.text) == (0, "success", "ok")
    assert seen == ["t-7"] and result.summary.usage == {"input_tokens": 5}
    assert "a warning" in result.stderr_tail
    lines = (tmp_path / "events.ndjson").read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines][0] == "thread.started"
    assert _wait_gone(int((tmp_path / "child.pid").read_text()))


def test_a_stop_request_and_a_timeout_kill_the_whole_group(tmp_path: Path) -> None:
    stop_at = time.monotonic() + 1.0
    stopped = _run(
        tmp_path,
        "hang",
        "0",
        timeout=60,
        grace=0.5,
        should_stop=lambda: "run cancelled" if time.monotonic() > stop_at else "",
    )
    assert stopped.stopped == "run cancelled" and stopped.exit_code is None
    assert stopped.summary.session_id == "t-7"
    assert _wait_gone(int((tmp_path / "child.pid").read_text()))
    timed = _run(tmp_path, "hang", "0", timeout=1.0, grace=0.5)
    assert timed.timed_out and timed.exit_code is None and timed.seconds < 10
    assert _wait_gone(int((tmp_path / "child.pid").read_text()))


def test_a_non_zero_exit_is_reported_as_it_is(tmp_path: Path) -> None:
    result = _run(tmp_path, "finish", "3", timeout=60)
    assert result.exit_code == 3 and result.summary.status == "success"
