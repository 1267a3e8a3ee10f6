"""`bosun prime`: everything an agent needs at session start, built from the store.

Work lives outside the model: every session start (and every compaction) re-primes the
agent from its identity, hook, work item and unread signals, including skip instructions
for phases its predecessors already finished (the skip instructions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.core.records import Hook, Identity, Phase, Signal, WorkItem

if TYPE_CHECKING:
    from bosun.core.context import Context

# Phases in the order work moves through them; a phase earlier than the current one is done.
ORDER = [
    Phase.ASSIGNED,
    Phase.EXECUTING,
    Phase.IMPL_COMPLETE,
    Phase.VALIDATING,
    Phase.MERGE_READY,
    Phase.MERGED,
]

# What reaching each phase means for a successor: the skip instructions.
DONE_MEANS = {
    Phase.EXECUTING: "the work was started — continue it (check `git log` and the checkpoint)",
    Phase.IMPL_COMPLETE: "the implementation is complete — do not redo it",
    Phase.VALIDATING: "validation was started",
    Phase.MERGE_READY: "the branch was offered to the merge queue",
    Phase.MERGED: "the work is merged",
}


@dataclass(frozen=True)
class PrimeBlock:
    identity: Identity
    hook: Hook | None
    work: WorkItem | None
    signals: list[Signal]
    skip: list[str]
    next_steps: list[str]
    generated_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity.to_json(self.generated_at),
            "hook": self.hook.to_json() if self.hook else None,
            "work": self.work.to_json() if self.work else None,
            "signals": [s.to_json() for s in self.signals],
            "skip": self.skip,
            "next": self.next_steps,
            "generated_at": iso(self.generated_at),
            "text": self.render(),
        }

    def render(self) -> str:
        ident = self.identity
        lines = [
            f"# bosun prime — {ident.ref} (incarnation {ident.incarnation})",
            f"You are {ident.ref}. Your identity outlives this session; your work lives on "
            "your hook. If there is work on your hook, you must run it.",
        ]
        if ident.initiative:
            lines.append(f"Initiative: {ident.initiative}")
        if ident.crew:
            lines.append("You are crew: long-lived and human-directed; patrol will not nudge you.")
        lines.append("")
        lines.append("## Your hook")
        if self.hook is None or self.hook.phase == Phase.RELEASED:
            lines.append("(empty)")
        else:
            hook = self.hook
            title = self.work.title if self.work else hook.summary or ""
            lines.append(f"Work item {hook.work_id}: {title}  [phase: {hook.phase}]")
            if self.work and self.work.body.strip():
                lines += ["", self.work.body.strip(), ""]
            if hook.checkpoint_note or hook.checkpoint_at:
                lines.append(
                    f"Last checkpoint ({iso(hook.checkpoint_at)}): "
                    f"{hook.checkpoint_note or '(no note)'}"
                )
            if hook.resumption:
                lines += ["Resumption instructions from your predecessor:", hook.resumption]
        if self.skip:
            lines += ["", "## Already done — skip these"]
            lines += [f"- {item}" for item in self.skip]
        if self.signals:
            lines += ["", "## Unread signals"]
            for sig in self.signals:
                sender = f" from {sig.sender}" if sig.sender else ""
                payload = f" {json.dumps(sig.payload, sort_keys=True)}" if sig.payload else ""
                lines.append(f"- {sig.id} {sig.type}{sender}{payload}")
            lines.append("Acknowledge each with `bosun signal ack ID` once handled.")
        lines += ["", "## What to do next"]
        lines += [f"{n}. {step}" for n, step in enumerate(self.next_steps, 1)]
        return "\n".join(lines) + "\n"


def build_prime(ctx: Context, role: str, name: str) -> PrimeBlock:
    with ctx.store.transaction(write=False) as tx:
        identity = ctx.identities.get_in(tx, role, name)
        hook = ctx.hooks.find_in(tx, role, name)
        work = None
        if hook is not None:
            row = tx.one("work_get", id=hook.work_id)
            work = WorkItem.from_row(row) if row else None
        now = tx.now
    signals = ctx.signals.list(to=identity.ref, unread=True)
    return PrimeBlock(
        identity=identity,
        hook=hook,
        work=work,
        signals=signals,
        skip=skip_instructions(hook),
        next_steps=next_steps(identity, hook),
        generated_at=now,
    )


def skip_instructions(hook: Hook | None) -> list[str]:
    """What predecessors already finished: every phase up to the current one."""
    if hook is None or hook.phase not in ORDER:
        return []
    current = ORDER.index(hook.phase)
    return [f"{phase}: {DONE_MEANS[phase]}" for phase in ORDER[1 : current + 1]]


def merge_ready_command(ref: str, branch: str | None = None) -> str:
    """The signal that offers an agent's branch to the merge queue. Without `branch` the
    queue takes the branch checked out in the sender's worktree."""
    payload = f""" --payload '{{"branch": "{branch}"}}'""" if branch else ""
    return f"`bosun signal send refinery/merge-queue MERGE_READY --from {ref}{payload}`"


def next_steps(identity: Identity, hook: Hook | None, branch: str | None = None) -> list[str]:
    """What the agent does next in each phase: the next real step, as commands bosun
    accepts from it (the stop gate repeats them; tests run them)."""
    r, n = identity.role, identity.name
    ref = identity.ref
    if hook is None or hook.phase == Phase.RELEASED:
        return [
            "Your hook is empty: there is no pinned work.",
            "See unassigned work with `bosun work ready`, or wait for instructions.",
        ]
    steps = {
        Phase.ASSIGNED: [
            f"Start the work: `bosun hook update-phase {r} {n} executing`.",
            "Do the work item described above in your worktree; commit as you go.",
        ],
        Phase.EXECUTING: [
            "Continue the implementation where it stopped (check `git log` and the "
            "checkpoint above); do not start over.",
            f'At milestones: `bosun hook checkpoint {r} {n} --note "what is done"`.',
            f"When the implementation is complete: `bosun hook update-phase {r} {n} "
            "impl_complete`.",
        ],
        Phase.IMPL_COMPLETE: [
            "The implementation is complete — do not redo it.",
            "Run the project's tests; fix what fails.",
            f"Then offer it to the merge queue: `bosun hook update-phase {r} {n} merge_ready` "
            f"and {merge_ready_command(ref, branch)}.",
        ],
        Phase.VALIDATING: [
            "Validation is running on your work; wait for its result in your signals.",
            "If it failed, fix the cause and signal MERGE_READY again.",
        ],
        Phase.MERGE_READY: [
            "Your branch is in the merge queue. Wait for MERGE_COMPLETE or MERGE_FAILED.",
            "On MERGE_FAILED: rebase onto the target, resolve the listed files, commit, and "
            "signal MERGE_READY again.",
        ],
        Phase.MERGED: [
            "Your work is merged.",
            f"Release the hook: `bosun hook release {r} {n}`.",
        ],
        Phase.BLOCKED: [
            "Your hook is blocked. Read the resumption instructions and checkpoint above.",
            f"When unblocked, return to work: `bosun hook update-phase {r} {n} executing`.",
        ],
    }
    return steps[hook.phase]
