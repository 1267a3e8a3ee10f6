"""The sim agent's mind: prime, work the hook's task script, answer prompts, misbehave.

Runs on a worker thread; all it shows goes through the `Console`. Progress is recorded
after every completed step in the hook's checkpoint note as `sim:step=K/N <summary>`, so a
new session for the same identity skips the steps already done.
"""

from __future__ import annotations

import queue
import re
import threading
from dataclasses import dataclass

from bosun.base.errors import BosunError
from bosun.runtime.sim.bosunctl import BosunClient, PrimeInfo
from bosun.runtime.sim.console import TRUST_ANSWERS, Console
from bosun.runtime.sim.context import ContextMeter, ContextModel
from bosun.runtime.sim.faults import FaultLedger, Faults, combine
from bosun.runtime.sim.rebase import rebase_onto
from bosun.runtime.sim.screen import trust_dialog
from bosun.runtime.sim.steps import StepRunner
from bosun.runtime.sim.taskscript import StepKind, TaskScript, find_task_script
from bosun.runtime.sim.workspace import Workspace

QUEUE = "refinery/merge-queue"
PROGRESS_RE = re.compile(r"\bsim:step=(\d+)/(\d+)")


def completed_steps(note: str | None, total: int) -> int:
    """Steps already done according to a checkpoint note (0 when it says nothing)."""
    match = PROGRESS_RE.search(note or "")
    return min(int(match.group(1)), total) if match else 0


@dataclass(frozen=True)
class Job:
    kind: str  # "start" | "prompt"
    n: int = 0
    text: str = ""


class SimAgent:
    def __init__(
        self,
        console: Console,
        client: BosunClient | None,
        identity: str | None,
        workspace: Workspace,
        meter: ContextMeter,
        ledger: FaultLedger,
        env_faults: tuple[Faults, frozenset[str]],
    ) -> None:
        self.console = console
        self.client = client
        self.identity = identity
        self.workspace = workspace
        self.meter = meter
        self.ledger = ledger
        self.env_faults = env_faults
        self.faults = combine(None, env_faults)
        self.jobs: queue.Queue[Job] = queue.Queue()
        self.stop = threading.Event()
        self.interrupted = threading.Event()
        self.info: PrimeInfo | None = None
        self.script: TaskScript | None = None
        self.exhausted = False
        self.steps = StepRunner(workspace, console, self.stop, self.interrupted)
        self.jobs.put(Job("start"))  # before any prompt the terminal may submit

    # -- called from the terminal thread ---------------------------------------------------

    def submit(self, n: int, text: str) -> None:
        self.meter.prompt(text)
        self.console.context(self.meter.used_percentage)
        self.jobs.put(Job("prompt", n, text))

    def interrupt(self) -> None:
        self.interrupted.set()

    # -- the worker thread -----------------------------------------------------------------

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                job = self.jobs.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                if job.kind == "start":
                    self.start()
                else:
                    self.answer(job)
            except BosunError as exc:
                self.say(f"✗ {exc.message}")
            except Exception as exc:  # noqa: BLE001 - the worker must never die silently
                self.say(f"✗ sim agent internal error: {type(exc).__name__}: {exc}")
            finally:
                self.console.busy(None)

    @property
    def scope(self) -> str:
        return self.info.work_id if self.info and self.info.work_id else "-"

    def say(self, line: str) -> None:
        self.console.say(line)

    def start(self) -> None:
        try:
            self.meter.write()
            self.console.context(self.meter.used_percentage)
            self.prime()
            if self.faults.trust_dialog and self.ledger.should_fire(
                self.faults, "-", "trust_dialog"
            ):
                answer = self.console.ask(
                    trust_dialog(str(self.workspace.cwd)), TRUST_ANSWERS, self.stop
                )
                if answer != "yes":
                    self.console.request_exit(1)
                    self.stop.set()
                    return
            self.show_prime()
        finally:
            self.console.started()  # whatever happened, the composer must appear
        if self.resolve_conflict():
            return
        self.work()

    def prime(self) -> bool:
        """Run `bosun prime --json` and load the task script; False when there is nothing."""
        self.info, self.script = None, None
        if self.client is None or self.identity is None:
            return False
        try:
            self.info = PrimeInfo.from_json(self.client.prime(), self.identity)
        except BosunError as exc:
            self.say(f"✗ bosun prime failed: {exc.message}")
            return False
        try:
            self.script = find_task_script(self.info.work_body)
            script_faults = self.script.faults if self.script else None
            self.faults = combine(script_faults, self.env_faults)
            if self.script is not None:
                self.meter.use_model(ContextModel.from_script(self.script.context))
        except BosunError as exc:
            self.script = None
            self.say(f"✗ task script error: {exc.message}")
            if exc.hint:
                self.say(f"  hint: {exc.hint}")
            return False
        return True

    def show_prime(self) -> None:
        self.say(f"✻ bosun sim agent · {self.identity or 'no identity'} · {self.workspace.cwd}")
        info = self.info
        if info is None:
            return
        self.say(f"● identity: {info.identity}")
        if info.work_id:
            self.say(
                f'● work: {info.work_id} "{info.work_title or ""}" ({info.work_status or "?"})'
            )
            self.say(f"● phase: {info.phase or '-'}")
        else:
            self.say("● work: nothing on my hook")
        if info.checkpoint_note:
            self.say(f"● checkpoint: {info.checkpoint_note}")
        if info.resumption:
            lines = info.resumption.splitlines()
            self.say(f"● resumption: {lines[0]}")
            for line in lines[1:6]:
                self.say(f"  {line}")
        if info.unread_signals:
            self.say(f"● unread signals: {info.unread_signals}")
        if info.next_text:
            self.say(f"● next: {info.next_text.splitlines()[0]}")

    # -- prompts ---------------------------------------------------------------------------

    def answer(self, job: Job) -> None:
        if self.faults.ignore_nudges and self.ledger.should_fire(
            self.faults, self.scope, "ignore_nudges"
        ):
            return  # received (acknowledged on screen) and never acted on
        self.heartbeat()
        if self.exhausted:
            self.say(
                f"● I can't continue: my context window is {self.meter.used_percentage}% "
                "full. Start a fresh session to carry on."
            )
            return
        self.interrupted.clear()
        self.console.busy("Thinking")
        if job.text.strip().startswith("/"):
            self.say(f"● unknown command {job.text.strip().split()[0]}; try /exit")
            return
        self.prime()
        if self.resolve_conflict():
            return
        total = len(self.script.steps) if self.script else 0
        if self.script is not None and self.info is not None and self.info.unfinished:
            done = completed_steps(self.info.checkpoint_note, total)
            if done < total:
                self.say(f"● Resuming {self.info.work_id} at step {done + 1}/{total}.")
                self.work()
                return
        if self.info is not None and self.info.work_id:
            state = f"all {total} steps done" if self.script else "no task script"
            self.say(
                f"● {self.info.work_id} ({self.info.phase}): {state}. Noted: {_clip(job.text, 60)}"
            )
        else:
            self.say(f"● Nothing on my hook. Noted: {_clip(job.text, 60)}")

    def drain_prompts(self, k: int, total: int) -> None:
        """Answer prompts that arrived while working, without leaving the task."""
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return
            if not (
                self.faults.ignore_nudges
                and self.ledger.should_fire(self.faults, self.scope, "ignore_nudges")
            ):
                self.say(f"● (working on step {k}/{total}) noted: {_clip(job.text, 60)}")

    def heartbeat(self) -> None:
        if self.client is None:
            return
        try:
            self.client.heartbeat()
        except BosunError as exc:
            self.say(f"✗ heartbeat failed: {exc.message}")

    # -- a merge conflict handed back -------------------------------------------------------

    def resolve_conflict(self) -> bool:
        """An unread MERGE_FAILED (conflict) for my work: rebase onto the target keeping both
        sides, move the hook back to merge_ready, signal MERGE_READY again, then ack it.
        True when there was one (whether or not it could be resolved)."""
        info = self.info
        failed = info.merge_conflict() if info is not None else None
        if info is None or failed is None or self.client is None:
            return False
        payload = failed["payload"]
        target = str(payload["target"])
        files = ", ".join(str(f) for f in payload.get("files") or []) or "some files"
        self.console.busy("Rebasing")
        self.say(f"● The merge queue could not land {info.work_id}: conflict in {files}.")
        self.say(f"● Rebasing onto {target} and keeping both sides.")
        try:
            resolved = rebase_onto(self.workspace, target)
            self.say(f"  ⎿ rebased; resolved {', '.join(resolved) or 'nothing (it applied)'}")
            if info.phase == "executing":
                self.client.update_phase("impl_complete")
                self.client.update_phase("merge_ready")
            branch = self.workspace.git("rev-parse", "--abbrev-ref", "HEAD")
            body = {"branch": branch, "work_id": info.work_id}
            self.client.send_signal(str(failed.get("from") or QUEUE), "MERGE_READY", body)
            self.client.ack_signal(str(failed["id"]))
        except BosunError as exc:
            self.say(f"✗ could not resolve the conflict: {exc.message}")
            return True
        self.say(f"● Sent MERGE_READY for {branch} again.")
        return True

    # -- the task script -------------------------------------------------------------------

    def work(self) -> None:
        info, script = self.info, self.script
        if info is None or info.work_id is None:
            return
        if script is None:
            self.say(f"● {info.work_id} has no bosun-task block; waiting for instructions.")
            return
        if not info.unfinished:
            self.say(f"● {info.work_id} is {info.phase}; nothing to do.")
            return
        total = len(script.steps)
        done = completed_steps(info.checkpoint_note, total)
        if done:
            self.say(f"● skipping {done} completed step{'s' if done > 1 else ''}")
        for k in range(done + 1, total + 1):
            if self.stop.is_set():
                return
            if self.interrupted.is_set():
                self.say("  ⎿ Interrupted · tell me how to continue")
                return
            if not self.before_step(k, total):
                return
            self.drain_prompts(k, total)
            step = script.steps[k - 1]
            self.console.busy("Working")
            self.say(f"● step {k}/{total}: {step.summary()}")
            try:
                output = self.steps.execute(
                    step, self.client, self.identity, self.info.work_id if self.info else None
                )
                if output is None:
                    return  # permission denied: stop here, ask again on the next prompt
                if step.kind == StepKind.WORK and self.interrupted.is_set():
                    self.say("  ⎿ Interrupted · tell me how to continue")
                    return
                self.meter.step(sum(len(line) for line in output))
                self.console.context(self.meter.used_percentage)
                assert self.client is not None
                self.client.checkpoint(f"sim:step={k}/{total} {step.summary()}")
                self.client.heartbeat()
            except BosunError as exc:
                self.say(f"✗ step {k}/{total} failed: {exc.message}")
                return
        self.say(f"● Done: all {total} steps of {info.work_id} completed.")

    def before_step(self, k: int, total: int) -> bool:
        """Apply the faults placed before step k; False when work stops here."""
        faults, scope = self.faults, self.scope
        fire = self.ledger.should_fire
        if faults.crash_at_step == k and fire(faults, scope, "crash_at_step"):
            self.say(f"✗ sim: simulated crash before step {k}/{total} (exit {faults.exit_code})")
            self.console.request_exit(faults.exit_code)
            self.stop.set()
            return False
        if faults.hang_at_step == k and fire(faults, scope, "hang_at_step"):
            self.console.busy("Working")
            self.stop.wait()  # alive, busy, and never making progress again
            return False
        if faults.exhaust_context_at_step == k and fire(faults, scope, "exhaust_context_at_step"):
            self.meter.exhaust()
            self.console.context(self.meter.used_percentage)
            self.exhausted = True
            self.say(
                f"⚠ Context low ({100 - self.meter.used_percentage}% remaining) · "
                "cannot continue this conversation"
            )
            return False
        claim_at = faults.claim_at_step or total
        if (
            faults.claim_without_action
            and claim_at == k
            and self.ledger.fire_once(faults, scope, "claim_without_action")
        ):
            self.say(f"● {faults.claim_without_action}")
            self.report_turn(faults.claim_without_action)
            return False
        return True

    def report_turn(self, text: str) -> None:
        """The turn ends on `text`: report it to the sentinel, as Claude Code's Stop hook
        reports its last message (a broken sentinel never stops the agent)."""
        if self.client is None:
            return
        try:
            self.client.observe_turn(text)
        except BosunError as exc:
            self.say(f"✗ sentinel report failed: {exc.message}")


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
