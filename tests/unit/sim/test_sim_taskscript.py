"""The task-script parser: the plan a work item body carries for the sim agent."""

from __future__ import annotations

import json

import pytest

from bosun.base.errors import InvalidInput
from bosun.runtime.sim.taskscript import (
    StepKind,
    TaskScriptError,
    expand,
    expand_payload,
    extract_block,
    find_task_script,
    parse_task_script,
)


def body(script: object, fence: str = "```") -> str:
    return f"Intro text.\n\n{fence}bosun-task\n{json.dumps(script)}\n{fence}\n\nTrailer.\n"


def test_every_step_kind_parses_into_typed_steps() -> None:
    script = find_task_script(
        body(
            {
                "steps": [
                    {"run": "make test", "check": False, "timeout": 30},
                    {"write": {"path": "src/a.txt", "content": "x\n", "append": True}},
                    {"commit": "add a"},
                    {"phase": "executing"},
                    {"heartbeat": True},
                    {
                        "signal": "MERGE_READY",
                        "to": "refinery/main",
                        "payload": {"branch": "{branch}"},
                    },
                    {"work": 0.25},
                    {"say": "hello"},
                    {"permission": "push the branch"},
                ],
                "faults": {"crash_at_step": 2},
                "context": {"per_step": 10},
            }
        )
    )
    assert script is not None
    kinds = [s.kind for s in script.steps]
    assert kinds == list(StepKind)
    run, write, commit, phase, _, signal, work, say, permission = script.steps
    assert (run.text, run.check, run.timeout) == ("make test", False, 30.0)
    assert (write.path, write.text, write.append) == ("src/a.txt", "x\n", True)
    assert commit.text == "add a" and phase.text == "executing"
    assert (signal.text, signal.to, signal.payload) == (
        "MERGE_READY",
        "refinery/main",
        {"branch": "{branch}"},
    )
    assert work.seconds == 0.25 and say.text == "hello" and permission.text == "push the branch"
    assert script.faults == {"crash_at_step": 2}
    assert script.context == {"per_step": 10}


def test_a_body_without_a_block_has_no_script() -> None:
    assert find_task_script("Just prose, ```python\nprint(1)\n``` and more.") is None
    assert find_task_script(None) is None
    assert find_task_script("") is None


def test_tilde_fences_and_longer_fences_close_correctly() -> None:
    text = '~~~~bosun-task\n{"steps": [{"say": "```not the end"}]}\n~~~~\n'
    assert extract_block(text) == '{"steps": [{"say": "```not the end"}]}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('```bosun-task\n{"steps": []}\n', "never closed"),
        ("```bosun-task\n{}\n```\n```bosun-task\n{}\n```\n", "more than one"),
    ],
)
def test_broken_fences_are_reported(text: str, message: str) -> None:
    with pytest.raises(TaskScriptError, match=message):
        find_task_script(text)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("{not json", "not JSON: .* line 1 column 2"),
        ("[1, 2]", "must be a JSON object"),
        ('{"stepz": []}', "unknown key 'stepz'"),
        ('{"steps": {"say": "x"}}', "needs a list of steps"),
        ('{"steps": [], "faults": []}', "faults must be a JSON object"),
        ('{"steps": ["say"]}', "step 1 must be a JSON object"),
        ('{"steps": [{"say": "a"}, {"dance": 1}]}', r"step 2 must have exactly one of: .*dance"),
        ('{"steps": [{"say": "a", "run": "b"}]}', "exactly one of"),
        ('{"steps": [{"say": ""}]}', "step 1 say must be a non-empty string"),
        ('{"steps": [{"say": "a", "to": "x/y"}]}', r"step 1 \(say\) has unknown key 'to'"),
        ('{"steps": [{"write": {"path": "../x", "content": ""}}]}', "leaves the working dir"),
        ('{"steps": [{"write": {"path": "/etc/x", "content": ""}}]}', "leaves the working dir"),
        ('{"steps": [{"write": {"path": "a", "content": 3}}]}', "content must be a string"),
        ('{"steps": [{"write": {"path": "a", "content": "", "mode": 1}}]}', "unknown key 'mode'"),
        ('{"steps": [{"work": -1}]}', "work must be a number from 0"),
        ('{"steps": [{"work": true}]}', "work must be a number"),
        ('{"steps": [{"work": 99999}]}', "work must be a number"),
        ('{"steps": [{"run": "x", "timeout": 0}]}', "timeout must be a number"),
        ('{"steps": [{"run": "x", "check": "yes"}]}', "check must be true or false"),
        ('{"steps": [{"heartbeat": 1}]}', "heartbeat must be true"),
        ('{"steps": [{"signal": "MERGE_READY"}]}', 'needs "to": "role/name"'),
        ('{"steps": [{"signal": "X", "to": "a/b", "payload": []}]}', "payload must be a JSON obj"),
    ],
)
def test_bad_scripts_name_the_step_and_field(script: str, message: str) -> None:
    with pytest.raises(TaskScriptError, match=message) as info:
        parse_task_script(script)
    assert isinstance(info.value, InvalidInput)  # exit code 2 when it reaches the CLI
    assert info.value.hint


def test_placeholders_expand_only_known_names() -> None:
    values = {"branch": "bosun/toast", "identity": "polecat/toast"}
    assert expand("on {branch} as {identity}, {unknown} {}", values) == (
        "on bosun/toast as polecat/toast, {unknown} {}"
    )
    payload = {"branch": "{branch}", "list": ["{identity}", 3], "n": 1}
    assert expand_payload(payload, values) == {
        "branch": "bosun/toast",
        "list": ["polecat/toast", 3],
        "n": 1,
    }
