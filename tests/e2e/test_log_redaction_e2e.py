"""A database URL with a password, failing for real, leaves the password in no log file:
the supervisor's log, a detached run's run.out and the runner's log (issue 18, item 14).

The processes run as their detached launchers start them — output appended to the same log
files — with `-v`, so tracebacks are written too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PASSWORD = "s3cretpw"
URLS = [
    f"postgresql://fleet:{PASSWORD}@127.0.0.1:1/fleet",
    f"host=127.0.0.1 port=1 user=fleet password={PASSWORD} dbname=fleet",
    f"postgresql://fleet@127.0.0.1:1/fleet?password={PASSWORD}",
]
GRAPH = """digraph G { start [shape=Mdiamond]; exit [shape=Msquare];
  a [shape=parallelogram, tool_command="true"]; start -> a -> exit }
"""


def _logged(cwd: Path, log: Path, url: str, *args: str, module: str = "bosun") -> int:
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "BOSUN_DATABASE_URL": url, "BOSUN_DETACHED": "1", "BOSUN_DEBUG": "1"}
    with open(log, "ab") as out:
        return subprocess.run(
            [sys.executable, "-m", module, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=out, stderr=out, timeout=120, check=False,
        ).returncode


@pytest.mark.parametrize("url", URLS, ids=["url", "conninfo", "query"])
def test_no_log_file_holds_the_password(project: Path, url: str) -> None:
    logs = project / ".bosun" / "logs"
    supervisor_log = logs / "supervisor.log"
    assert _logged(project, supervisor_log, url, "-v", "supervise") != 0
    (project / "g.dot").write_text(GRAPH)
    run_out = project / ".bosun" / "runs" / "r1" / "run.out"
    assert _logged(project, run_out, url, "-v", "run", "start", "g.dot", "--run-id", "r1") != 0
    spec = project / ".bosun" / "runs" / "r2" / "runners" / "n.spec.json"
    spec.parent.mkdir(parents=True)
    fields = dict.fromkeys(("run_id", "node_id", "logs_root", "stage_dir", "workdir",
                            "base_commit", "merge_target", "preset", "title", "work_id"), "x")
    spec.write_text(json.dumps({**fields, "name": "n", "project_root": str(project),
                                "timeout": 60.0}))
    runner_log = spec.with_name("n.log")
    assert _logged(project, runner_log, url, str(spec), module="bosun.chain.runner") != 0
    assert "PostgreSQL" in runner_log.read_text() or "database_url" in runner_log.read_text()
    for log in (supervisor_log, run_out, runner_log):
        text = log.read_text(errors="replace")
        assert text.strip(), f"{log} is empty"
        assert PASSWORD not in text, f"{log} shows the password:\n{text[-2000:]}"
    assert "Traceback" in supervisor_log.read_text()  # -v: the traceback was logged, redacted
