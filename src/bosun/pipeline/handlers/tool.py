"""Tool nodes: run `tool_command` in its own process group with a timeout.

stdout/stderr go to the stage's `stdout.log`/`stderr.log`. The process group is killed on
timeout or cancellation. A tool may write JSON to `$BOSUN_STAGE_STATUS_PATH` to return a
richer outcome (custom status, preferred_label, failure_class, context_updates).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path

from bosun.base.durations import parse_duration
from bosun.base.errors import InvalidInput
from bosun.pipeline.handlers.base import HandlerContext
from bosun.pipeline.nodetypes import NodeKind, NodeType, Retry
from bosun.pipeline.outcomes import FailureClass, Outcome, failure, success
from bosun.pipeline.toolgroups import forget, spawn_tool

OUTPUT_LIMIT = 8000
KILL_GRACE = 2.0
POLL = 0.02


def kill_group(proc: subprocess.Popen[bytes], grace: float = KILL_GRACE) -> None:
    """SIGTERM the process group, then SIGKILL what is left after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # the shell may be gone while children linger in the group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


class ToolHandler(NodeKind):
    name = NodeType.TOOL
    shapes = ("parallelogram",)
    attributes = ("tool_command",)
    retry = Retry.ANY_FAILURE

    def run(self, hc: HandlerContext) -> Outcome:
        node = hc.node
        command = node.get("tool_command").strip()
        if not command:
            return failure(f"tool node {node.id!r} has no tool_command", FailureClass.STRUCTURAL)
        try:
            timeout = parse_duration(
                node.get("timeout") or hc.settings.get("tool_timeout", 600), "timeout"
            )
        except InvalidInput as exc:
            return failure(exc.message, FailureClass.STRUCTURAL)
        status_path = hc.stage_dir / "stage_status.json"
        status_path.unlink(missing_ok=True)
        (hc.stage_dir / "tool_invocation.json").write_text(
            json.dumps({"command": command, "cwd": str(hc.workdir), "timeout": timeout}) + "\n"
        )
        out_path, err_path = hc.stage_dir / "stdout.log", hc.stage_dir / "stderr.log"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            try:
                proc = spawn_tool(
                    command, hc.rundir.base, hc.workdir, {**os.environ, **hc.env()}, out, err
                )
            except OSError as exc:
                return failure(f"cannot start tool_command: {exc}", FailureClass.DETERMINISTIC)
            try:
                return self._wait(hc, proc, timeout, out_path, err_path, status_path)
            finally:
                # leftovers of the group must not write into the worktree after the node
                kill_group(proc, grace=0)
                forget(hc.rundir.base, proc.pid)

    def _wait(
        self,
        hc: HandlerContext,
        proc: subprocess.Popen[bytes],
        timeout: float,
        out_path: Path,
        err_path: Path,
        status_path: Path,
    ) -> Outcome:
        started = hc.clock.monotonic()
        code = None
        while code is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = proc.wait(timeout=POLL)
            if code is not None:
                break
            if hc.cancel.cancelled:
                kill_group(proc)
                return failure(
                    f"canceled: {hc.cancel.reason}",
                    FailureClass.CANCELED,
                    context_updates=self._context(out_path, proc.returncode),
                )
            if hc.clock.monotonic() - started > timeout:
                kill_group(proc)
                return failure(
                    f"tool_command timed out after {timeout:g}s",
                    FailureClass.TRANSIENT_INFRA,
                    context_updates=self._context(out_path, None),
                )
        updates = self._context(out_path, code)
        reported = self._reported(status_path, updates)
        if reported is not None:
            return reported
        if code == 0:
            return success(context_updates=updates)
        tail = err_path.read_bytes()[-400:].decode("utf-8", "replace").strip().splitlines()
        detail = f": {tail[-1]}" if tail else ""
        return failure(f"tool_command exited with status {code}{detail}", context_updates=updates)

    @staticmethod
    def _context(out_path: os.PathLike[str], code: int | None) -> dict[str, object]:
        with open(out_path, "rb") as fh:
            data = fh.read(OUTPUT_LIMIT + 1)
        return {
            "tool.output": data[:OUTPUT_LIMIT].decode("utf-8", "replace"),
            "tool.exit_status": code,
        }

    @staticmethod
    def _reported(path: os.PathLike[str], updates: dict[str, object]) -> Outcome | None:
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, json.JSONDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        outcome = Outcome.from_json(data)
        merged = {**updates, **outcome.context_updates}
        return Outcome(
            outcome.status,
            outcome.preferred_label,
            outcome.suggested_next_ids,
            merged,
            outcome.notes,
            outcome.failure_reason,
            outcome.failure_class,
        )
