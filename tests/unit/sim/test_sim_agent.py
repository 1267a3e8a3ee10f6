"""The sim agent's worker logic against an in-memory bosun (no processes, no terminal)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from bosun.runtime.sim.agent import Job, SimAgent, completed_steps
from bosun.runtime.sim.console import AppendLog, Console
from bosun.runtime.sim.context import ContextMeter
from bosun.runtime.sim.faults import FaultLedger, faults_from_env
from bosun.runtime.sim.screen import Screen
from bosun.runtime.sim.workspace import Workspace


class MemoryBosun:
    """Answers like the bosun CLI would, keeping the hook in memory."""

    def __init__(self, body: str | None, note: str | None = None, phase: str = "assigned"):
        self.body = body
        self.hook: dict[str, Any] = {
            "work_id": "bo-1",
            "phase": phase,
            "unfinished": True,
            "checkpoint_note": note,
            "resumption": "look at git log",
        }
        self.calls: list[tuple[str, ...]] = []

    def prime(self) -> dict[str, Any]:
        self.calls.append(("prime",))
        work = {"id": "bo-1", "title": "Say hello", "body": self.body, "status": "in_progress"}
        pinned = self.body is not None
        return {
            "identity": {"identity": "polecat/toast"},
            "hook": dict(self.hook) if pinned else None,
            "work": work if pinned else None,
            "signals": [],
            "next": ["Continue the work."],
        }

    def checkpoint(self, note: str) -> None:
        self.calls.append(("checkpoint", note))
        self.hook["checkpoint_note"] = note

    def update_phase(self, phase: str) -> None:
        self.calls.append(("phase", phase))
        self.hook["phase"] = phase

    def heartbeat(self) -> None:
        self.calls.append(("heartbeat",))

    def send_signal(self, to: str, kind: str, payload: dict[str, Any]) -> None:
        self.calls.append(("signal", to, kind, json.dumps(payload, sort_keys=True)))

    def ack_signal(self, signal_id: str) -> None:
        self.calls.append(("ack", signal_id))

    def observe_turn(self, text: str) -> None:
        self.calls.append(("observe", text))

    def named(self, name: str) -> list[tuple[str, ...]]:
        return [c for c in self.calls if c[0] == name]


def script(*steps: dict[str, Any], faults: dict[str, Any] | None = None) -> str:
    data: dict[str, Any] = {"steps": list(steps)}
    if faults:
        data["faults"] = faults
    return f"Plan:\n```bosun-task\n{json.dumps(data)}\n```\n"


THREE = (
    {"phase": "executing"},
    {"write": {"path": "out.txt", "content": "one\n", "append": True}},
    {"signal": "MERGE_READY", "to": "refinery/main", "payload": {"work": "{work_id}"}},
)


def make_agent(
    tmp_path: Path, client: MemoryBosun, env_faults: str | None = None, ledger: Path | None = None
) -> SimAgent:
    console = Console(Screen(identity="polecat/toast"), AppendLog(tmp_path / "t.log"), lambda: None)
    return SimAgent(
        console,
        client,
        "polecat/toast",
        Workspace(tmp_path, {}),
        ContextMeter(tmp_path / "ctx.json"),
        FaultLedger(ledger or tmp_path / "ledger.json"),
        faults_from_env(env_faults),
    )


def shown(agent: SimAgent) -> list[str]:
    return list(agent.console.screen.lines)


def test_progress_is_read_from_the_checkpoint_note() -> None:
    assert completed_steps("sim:step=2/5 write a", 5) == 2
    assert completed_steps("moved on; sim:step=9/5", 5) == 5
    assert completed_steps("a human note", 5) == 0
    assert completed_steps(None, 5) == 0


def test_the_first_screen_shows_the_prime_block_then_all_steps_run(tmp_path: Path) -> None:
    client = MemoryBosun(script(*THREE))
    agent = make_agent(tmp_path, client)
    agent.start()
    lines = shown(agent)
    assert "● identity: polecat/toast" in lines
    assert '● work: bo-1 "Say hello" (in_progress)' in lines
    assert "● phase: assigned" in lines and "● resumption: look at git log" in lines
    assert lines[-1] == "● Done: all 3 steps of bo-1 completed."
    assert client.named("phase") == [("phase", "executing")]
    assert client.named("signal") == [
        ("signal", "refinery/main", "MERGE_READY", '{"work": "bo-1"}')
    ]
    assert [c[1].split()[0] for c in client.named("checkpoint")] == [
        "sim:step=1/3",
        "sim:step=2/3",
        "sim:step=3/3",
    ]
    assert len(client.named("heartbeat")) >= 3
    assert (tmp_path / "out.txt").read_text() == "one\n"
    assert json.loads((tmp_path / "ctx.json").read_text())["used_percentage"] > 6
    assert "● step 2/3: write out.txt" in (tmp_path / "t.log").read_text()


def test_a_new_session_skips_the_steps_its_predecessor_completed(tmp_path: Path) -> None:
    client = MemoryBosun(script(*THREE), note="sim:step=2/3 write out.txt")
    agent = make_agent(tmp_path, client)
    agent.start()
    assert "● skipping 2 completed steps" in shown(agent)
    assert not (tmp_path / "out.txt").exists()  # step 2 was not redone
    assert client.named("phase") == []
    assert len(client.named("signal")) == 1


def test_a_crash_fault_exits_nonzero_and_with_once_the_next_session_completes(
    tmp_path: Path,
) -> None:
    client = MemoryBosun(script(*THREE, faults={"crash_at_step": 2, "once": True}))
    first = make_agent(tmp_path, client)
    first.start()
    assert first.console.exit_code == 3
    assert "✗ sim: simulated crash before step 2/3 (exit 3)" in shown(first)
    assert client.hook["checkpoint_note"].startswith("sim:step=1/3")
    second = make_agent(tmp_path, client)
    second.start()
    assert second.console.exit_code is None
    assert shown(second)[-1] == "● Done: all 3 steps of bo-1 completed."
    assert (tmp_path / "out.txt").read_text() == "one\n"


def test_without_once_the_crash_repeats_and_the_exit_code_is_configurable(
    tmp_path: Path,
) -> None:
    client = MemoryBosun(script(*THREE))
    for _ in range(2):
        agent = make_agent(tmp_path, client, env_faults='{"crash_at_step": 1, "exit_code": 9}')
        agent.start()
        assert agent.console.exit_code == 9
    assert client.named("checkpoint") == []


def test_a_bad_task_script_is_shown_and_the_agent_stays_up_doing_nothing(
    tmp_path: Path,
) -> None:
    client = MemoryBosun('```bosun-task\n{"steps": [{"dance": 1}]}\n```\n')
    agent = make_agent(tmp_path, client)
    agent.start()
    lines = shown(agent)
    assert any(
        line.startswith("✗ task script error: step 1 must have exactly one of") for line in lines
    )
    assert any(line.startswith("  hint: write a ```bosun-task block") for line in lines)
    assert agent.console.exit_code is None
    assert client.named("checkpoint") == []


def test_a_fixed_work_item_is_picked_up_on_the_next_prompt(tmp_path: Path) -> None:
    client = MemoryBosun('```bosun-task\n{"steps": [{"dance": 1}]}\n```\n')
    agent = make_agent(tmp_path, client)
    agent.start()
    client.body = script({"say": "fixed"})
    agent.answer(Job("prompt", 1, "Run `bosun prime` and continue your hook"))
    assert shown(agent)[-2:] == ["● fixed", "● Done: all 1 steps of bo-1 completed."]


def test_exhausting_the_context_stops_progress(tmp_path: Path) -> None:
    client = MemoryBosun(script(*THREE, faults={"exhaust_context_at_step": 2}))
    agent = make_agent(tmp_path, client)
    agent.start()
    assert json.loads((tmp_path / "ctx.json").read_text())["used_percentage"] > 90
    assert len(client.named("checkpoint")) == 1
    agent.answer(Job("prompt", 1, "continue"))
    assert shown(agent)[-1].startswith("● I can't continue: my context window is")
    assert len(client.named("checkpoint")) == 1


def test_claim_without_action_says_it_and_does_not_do_it(tmp_path: Path) -> None:
    client = MemoryBosun(script(*THREE, faults={"claim_without_action": "I'll push it now"}))
    agent = make_agent(tmp_path, client)
    agent.start()
    assert shown(agent)[-1] == "● I'll push it now"
    assert client.named("signal") == []
    assert len(client.named("checkpoint")) == 2


def test_ignored_nudges_get_no_answer_and_no_heartbeat(tmp_path: Path) -> None:
    client = MemoryBosun(None)
    agent = make_agent(tmp_path, client, env_faults='{"ignore_nudges": true}')
    agent.start()
    before, beats = shown(agent), len(client.named("heartbeat"))
    agent.answer(Job("prompt", 1, "Run `bosun prime` and continue your hook"))
    assert shown(agent) == before and len(client.named("heartbeat")) == beats


def test_a_prompt_with_nothing_on_the_hook_gets_an_answer_and_a_heartbeat(
    tmp_path: Path,
) -> None:
    client = MemoryBosun(None)
    agent = make_agent(tmp_path, client)
    agent.start()
    assert "● work: nothing on my hook" in shown(agent)
    agent.answer(Job("prompt", 1, "what are you doing?"))
    assert shown(agent)[-1] == "● Nothing on my hook. Noted: what are you doing?"
    assert client.named("heartbeat")


def test_a_failed_step_stops_and_the_next_prompt_retries_it(tmp_path: Path) -> None:
    (tmp_path / "blocker").mkdir()
    client = MemoryBosun(script({"say": "a"}, {"write": {"path": "blocker", "content": "x"}}))
    agent = make_agent(tmp_path, client)
    agent.start()
    assert shown(agent)[-1].startswith("✗ step 2/2 failed")
    assert client.hook["checkpoint_note"].startswith("sim:step=1/2")
    (tmp_path / "blocker").rmdir()
    agent.answer(Job("prompt", 1, "try again"))
    assert "● Resuming bo-1 at step 2/2." in shown(agent)
    assert (tmp_path / "blocker").read_text() == "x"


def test_prompts_arriving_mid_task_are_answered_between_steps(tmp_path: Path) -> None:
    client = MemoryBosun(script({"say": "a"}, {"say": "b"}))
    agent = make_agent(tmp_path, client)
    agent.submit(1, "hello there")
    agent.jobs.get_nowait()  # the start job
    agent.start()
    assert "● (working on step 1/2) noted: hello there" in shown(agent)


def test_a_hang_keeps_the_agent_busy_without_progress_until_it_is_stopped(
    tmp_path: Path,
) -> None:
    client = MemoryBosun(script({"say": "a"}, {"say": "b"}, faults={"hang_at_step": 2}))
    agent = make_agent(tmp_path, client)
    worker = threading.Thread(target=agent.start)
    worker.start()
    try:
        from waiting import wait_for

        wait_for(
            lambda: (
                agent.console.screen.busy_label == "Working"
                and len(client.named("checkpoint")) == 1
            ),
            what="the hang",
        )
        assert "● b" not in shown(agent)
    finally:
        agent.stop.set()
        worker.join(10)
    assert len(client.named("checkpoint")) == 1


def test_escape_interrupts_between_steps_and_a_prompt_resumes(tmp_path: Path) -> None:
    client = MemoryBosun(script({"say": "a"}, {"say": "b"}))
    agent = make_agent(tmp_path, client)
    agent.interrupt()
    agent.start()
    assert shown(agent)[-1] == "  ⎿ Interrupted · tell me how to continue"
    assert client.named("checkpoint") == []
    agent.answer(Job("prompt", 1, "go on"))
    assert shown(agent)[-1] == "● Done: all 2 steps of bo-1 completed."
