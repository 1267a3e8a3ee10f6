"""docs/sim-agent.md says what the sim agent really accepts: its example parses, and its
tables name every step kind and fault the code knows (and nothing else)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from bosun.runtime.sim.faults import Faults
from bosun.runtime.sim.taskscript import StepKind, find_task_script

DOC = (Path(__file__).resolve().parents[2] / "docs" / "sim-agent.md").read_text()


def _table_keys(heading: str) -> set[str]:
    section = DOC.split(heading, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    return {m.group(1).split(":")[0] for m in re.finditer(r"^\| `([^`]+)`", section, re.M)}


def test_the_example_task_script_parses() -> None:
    script = find_task_script(DOC)
    assert script is not None
    assert {s.kind for s in script.steps} == set(StepKind)  # the example shows every step
    assert script.faults == {"crash_at_step": 4, "once": True}


def test_the_tables_name_every_step_and_fault() -> None:
    assert _table_keys("### Steps") == {str(k) for k in StepKind}
    documented = _table_keys("### Faults") | {"exit_code", "swallow_window", "claim_at_step"}
    assert documented == {f.name for f in fields(Faults)}
