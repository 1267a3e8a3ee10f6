"""`bosun notify test` through the real CLI, and the supervisor composing the notifier loop."""

from __future__ import annotations

import json
from pathlib import Path

from bosun.base.config import default_config
from bosun.cli.supervising import engine_loops
from bosun.core.context import memory_context


def test_notify_test_runs_the_command_with_the_alert(bosun, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "alert.json"
    result = bosun("notify", "test", env={"BOSUN_NOTIFY_COMMAND": f"cat > {out}"})
    assert result.code == 0, result.err
    assert result.out.startswith("command: ok")
    alert = json.loads(out.read_text())
    assert alert["reason"] == "test" and alert["agent"] == "bosun/notify-test"


def test_notify_test_without_a_notifier_is_a_one_line_error_with_a_hint(bosun) -> None:  # type: ignore[no-untyped-def]
    result = bosun("notify", "test")
    assert result.code == 2
    assert "no notifier is configured" in result.err and "[notify]" in result.err


def test_a_failing_notifier_exits_1(bosun) -> None:  # type: ignore[no-untyped-def]
    result = bosun("notify", "test", "--json", env={"BOSUN_NOTIFY_COMMAND": "exit 4"})
    assert result.code == 1
    assert result.json["deliveries"][0]["detail"] == "exit 4: "


def test_the_supervisor_runs_the_notifier_only_when_one_is_configured() -> None:
    off = memory_context()
    on = memory_context(config=default_config().with_overrides(notify__webhook="http://x/"))
    try:
        assert "notifier" not in [loop.name for loop in engine_loops(off, merge_queue=False)]
        assert "notifier" in [loop.name for loop in engine_loops(on, merge_queue=False)]
    finally:
        off.close()
        on.close()
