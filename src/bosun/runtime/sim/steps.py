"""Executing one step of a task script: the shell, the workspace's files and git, bosun's
own commands, a permission question on screen."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from bosun.runtime.sim.bosunctl import BosunClient
from bosun.runtime.sim.console import PERMISSION_ANSWERS, Console
from bosun.runtime.sim.screen import permission_dialog
from bosun.runtime.sim.taskscript import Step, StepKind, expand, expand_payload
from bosun.runtime.sim.workspace import Workspace


@dataclass
class StepRunner:
    workspace: Workspace
    console: Console
    stop: threading.Event  # the agent is stopping (a permission question gives up)
    interrupted: threading.Event  # Ctrl-C: a `work` step ends early

    def execute(
        self, step: Step, client: BosunClient | None, identity: str | None, work_id: str | None
    ) -> list[str] | None:
        """Run `step`; the lines it shows, or None when permission was denied."""
        uses = "{" in step.text or "{" in json.dumps(step.payload)
        values = self.workspace.placeholders(identity or "", work_id) if uses else {}
        assert client is not None
        kind = step.kind
        if kind == StepKind.RUN:
            lines = self.workspace.run(expand(step.text, values), step.timeout, step.check)
        elif kind == StepKind.WRITE:
            path = self.workspace.write(step.path, step.text, step.append)
            lines = [f"wrote {len(step.text)} characters to {_relative(path, self.workspace)}"]
        elif kind == StepKind.COMMIT:
            lines = [self.workspace.commit(expand(step.text, values))]
        elif kind == StepKind.PHASE:
            client.update_phase(step.text)
            lines = [f"phase → {step.text}"]
        elif kind == StepKind.HEARTBEAT:
            client.heartbeat()
            lines = []
        elif kind == StepKind.SIGNAL:
            client.send_signal(step.to, step.text, expand_payload(step.payload, values))
            lines = [f"sent {step.text} to {step.to}"]
        elif kind == StepKind.WORK:
            self.interrupted.wait(step.seconds)
            lines = []
        elif kind == StepKind.SAY:
            lines = [expand(step.text, values)]
        else:  # permission
            answer = self.console.ask(permission_dialog(step.text), PERMISSION_ANSWERS, self.stop)
            if answer != "yes":
                self.console.say("  ⎿ Permission denied; stopping here")
                return None
            lines = ["permission granted"]
        for line in lines:
            self.console.say(f"  ⎿ {line}" if kind != StepKind.SAY else f"● {line}")
        return lines


def _relative(path: Path, workspace: Workspace) -> str:
    try:
        return str(path.relative_to(workspace.cwd.resolve()))
    except ValueError:
        return str(path)
