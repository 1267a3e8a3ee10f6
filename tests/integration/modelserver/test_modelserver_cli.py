"""`bosun model serve` and `bosun model check` as a user runs them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx

SCRIPT = '[[turn]]\ntext = "hello from the script"\n'


def test_serve_prints_its_url_as_json_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    script = tmp_path / "s.toml"
    script.write_text(SCRIPT)
    log = tmp_path / "log.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bosun", "model", "serve", str(script), "--json", "--log", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        while not lines or lines[-1] != "}\n":
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            lines.append(line)
        info = json.loads("".join(lines))
        assert info["turns"] == 1 and info["url"].startswith("http://127.0.0.1:")
        reply = httpx.post(
            f"{info['url']}/v1/chat/completions",
            json={
                "model": "m",
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "messages": [{"role": "user", "content": "hi"}],
            },
        ).json()
        assert reply["choices"][0]["message"]["content"] == "hello from the script"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert json.loads(log.read_text())["turn"] == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def test_a_bad_script_is_a_one_line_error_with_exit_2(tmp_path: Path) -> None:
    script = tmp_path / "bad.toml"
    script.write_text('[[turn]]\ntext = "a"\n[[turn]]\nshel = "ls"\n')
    for command in ("serve", "check"):
        done = subprocess.run(
            [sys.executable, "-m", "bosun", "model", command, str(script)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "turn 2: unknown field 'shel'" in done.stderr.splitlines()[0]


def test_check_lists_the_turns(tmp_path: Path) -> None:
    script = tmp_path / "s.toml"
    script.write_text(SCRIPT + '[[turn]]\nshell = "ls"\nfault = "drop"\n')
    done = subprocess.run(
        [sys.executable, "-m", "bosun", "model", "check", str(script), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    turns = json.loads(done.stdout)
    assert [(t["turn"], t["shell"], t["fault"]) for t in turns] == [
        (1, None, None),
        (2, "ls", "drop"),
    ]
