"""Headless agent nodes: the CLI's print mode, run once per attempt in the run's worktree.

A node runs headless when its `mode` (or the graph's, or the setting chain.mode) is
`headless`. The handler builds the preset's headless command (headless_argv, the node's
model through model_argv, the prompt), runs it as its own process group in the run's
worktree (`bosun.runtime.headless`), reads the CLI's event stream, and decides the node's
outcome from the agent's own result (`bosun.chain.headless_outcome`). A retry resumes the
previous attempt's conversation when the preset can (headless_resume_args).

In the stage directory: `prompt.md`, `events.ndjson` (the raw stream), `stderr.log`,
`response.md` (the final answer) and `headless.json` (preset, model, argv, session id,
usage, exit code, error), written when the session id is known and again at the end.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.base.durations import parse_duration
from bosun.base.errors import BosunError
from bosun.base.paths import atomic_write_json, atomic_write_text, read_json_file
from bosun.chain.headless_outcome import failure_detail, headless_outcome, resume_never_started
from bosun.chain.models import node_runtime
from bosun.chain.names import expand_prompt
from bosun.pipeline.handlers.agent import AgentNode
from bosun.pipeline.outcomes import FailureClass, Outcome, failure
from bosun.pipeline.stylesheet import model_env, resolve_model
from bosun.pipeline.toolgroups import forget_mark, mark_group
from bosun.runtime.headless import HeadlessResult, run_headless
from bosun.runtime.presets import get_preset

if TYPE_CHECKING:
    from bosun.pipeline.handlers.base import HandlerContext

RECORD = "headless.json"
RESUME_PROMPT = (
    "Your previous attempt at this step ended early ({reason}). Continue the work from where "
    "it stopped and finish it."
)
STATUS_NOTE = (
    "\n\n(Optional: to report an outcome other than success, write JSON "
    '{{"outcome": "success" or "fail", "failure_reason": "", "preferred_label": "", '
    '"context_updates": {{}}}} to {status_path}.)'
)


def previous_session(stage_dir: Path, attempt: int) -> tuple[str, str]:
    """The session id and failure reason an earlier attempt of this stage recorded (its
    `headless.json`, kept as `headless.attempt-<n>.json` once a new attempt starts)."""
    path = stage_dir / RECORD
    if attempt <= 1 or not path.is_file():
        return "", ""
    try:
        data = read_json_file(path)
    except (BosunError, OSError, ValueError):
        return "", ""
    if not isinstance(data, dict) or int(data.get("attempt") or 0) >= attempt:
        return "", ""
    atomic_write_json(stage_dir / f"headless.attempt-{data.get('attempt')}.json", data)
    return str(data.get("session_id") or ""), str(data.get("failure_reason") or "interrupted")


def node_prompt(hc: HandlerContext) -> str:
    values = {
        "goal": hc.graph.get("goal"),
        "run_id": hc.run_id,
        "node": hc.node.id,
        "workdir": str(hc.workdir),
        "status_path": str(hc.stage_dir / "stage_status.json"),
    }
    text = expand_prompt(hc.node.prompt or hc.node.label, values)
    return text + STATUS_NOTE.format(status_path=values["status_path"])


def read_reported(path: Path) -> Outcome | None:
    try:
        data = read_json_file(path)
    except (BosunError, OSError, ValueError):
        return None
    return Outcome.from_json(data) if isinstance(data, dict) else None


class HeadlessAgentHandler(AgentNode):
    """Runs an agent node in the CLI's print mode and reads its event stream."""

    def run(self, hc: HandlerContext) -> Outcome:
        ctx = hc.project
        config = ctx.config if ctx is not None else None
        runtimes = ctx.paths.runtimes if ctx is not None and ctx.paths is not None else None
        node, stage = hc.node, hc.stage_dir
        resolved = resolve_model(hc.graph, node)
        model, effort = resolved.get("llm_model", ""), resolved.get("reasoning_effort", "")
        try:
            preset = get_preset(node_runtime(node, hc.graph, config), runtimes)
            raw_timeout = node.get("timeout").strip()
            timeout = (
                parse_duration(raw_timeout, "timeout")
                if raw_timeout
                else (config.number("chain.node_timeout") if config else 3600.0)
            )
            session, why = previous_session(stage, hc.attempt)
            session = session if preset.headless_resume_args else ""
            prompt = RESUME_PROMPT.format(reason=why[:200]) if session else node_prompt(hc)

            def command(prompt: str, resume: str) -> list[str]:
                argv = preset.headless_command(
                    prompt,
                    model=model or None,
                    reasoning_effort=effort or None,
                    resume_id=resume or None,
                    cwd=str(hc.workdir),
                )
                return preset.resolve_binary(argv)

            argv = command(prompt, session)
        except BosunError as exc:
            return failure(f"headless agent node: {exc.message}", FailureClass.STRUCTURAL)
        stage.mkdir(parents=True, exist_ok=True)
        atomic_write_text(stage / "prompt.md", prompt + "\n")
        (stage / "stage_status.json").unlink(missing_ok=True)
        record: dict[str, Any] = {
            "node": node.id,
            "attempt": hc.attempt,
            "preset": preset.name,
            "model": model,
            "reasoning_effort": effort,
            "argv": [w if w != prompt else "<prompt.md>" for w in argv],
            "cwd": str(hc.workdir),
            "resumed": session,
            "started_at": iso(time.time()),
            "session_id": "",
        }
        atomic_write_json(stage / RECORD, record)
        # recorded like a tool's group: a run killed with -9 leaves no CLI writing into its
        # worktree (the next resume, stop or list of the run kills it)
        group, marker = mark_group(hc.rundir.base, f"headless-{node.id}-{secrets.token_hex(4)}")
        env = preset.environment(
            os.environ,
            extra={**hc.env(), **model_env(hc.graph, node), **marker},
            also_pass=config.words("agents.pass_env") if config else (),
        )

        def on_session(session_id: str) -> None:
            record["session_id"] = session_id
            atomic_write_json(stage / RECORD, record)
            hc.emit("agent_session", node_id=node.id, preset=preset.name, session_id=session_id)

        hc.emit(
            "agent_headless_started",
            node_id=node.id,
            preset=preset.name,
            model=model,
            resumed=session,
        )

        def launch(argv: list[str], timeout: float) -> HeadlessResult:
            return run_headless(
                argv,
                cwd=hc.workdir,
                env=env,
                events_format=preset.headless_events,
                events_path=stage / "events.ndjson",
                stderr_path=stage / "stderr.log",
                timeout=timeout,
                should_stop=lambda: hc.cancel.reason or "canceled" if hc.cancel.cancelled else "",
                on_session=on_session,
            )

        try:
            result = launch(argv, timeout)
            if session and resume_never_started(result):
                # the CLI kept no conversation to resume (e.g. Gemini CLI after a stream
                # dropped in its first turn): start this attempt afresh
                why = failure_detail(preset.name, result)
                hc.emit("agent_resume_failed", node_id=node.id, session_id=session, reason=why)
                prompt = node_prompt(hc)
                atomic_write_text(stage / "prompt.md", prompt + "\n")
                argv = command(prompt, "")
                record.update(
                    resume_failed=why, argv=[w if w != prompt else "<prompt.md>" for w in argv]
                )
                result = launch(argv, max(1.0, timeout - result.seconds))
        except BosunError as exc:
            return failure(f"headless agent node: {exc.message}", FailureClass.DETERMINISTIC)
        finally:
            forget_mark(group)
        atomic_write_text(stage / "response.md", result.summary.text + "\n")
        outcome = headless_outcome(
            node.id, preset.name, result, read_reported(stage / "stage_status.json")
        )
        record.update(result.to_json())
        record.update(
            ended_at=iso(time.time()),
            outcome=outcome.status,
            failure_reason=outcome.failure_reason,
            failure_class=outcome.failure_class,
        )
        record["session_id"] = result.summary.session_id or record["session_id"]
        atomic_write_json(stage / RECORD, record)
        hc.emit(
            "agent_headless_finished",
            node_id=node.id,
            preset=preset.name,
            session_id=record["session_id"],
            exit_code=result.exit_code,
            usage=result.summary.usage,
            outcome=outcome.status,
            failure_class=outcome.failure_class,
        )
        return outcome
