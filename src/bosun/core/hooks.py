"""Hooks: the work pinned to an identity. "If there is work on your hook, you must run it." """

from __future__ import annotations

from typing import TYPE_CHECKING

from bosun.base.errors import InvalidInput, NotFound
from bosun.base.names import check_text
from bosun.core.agreement import FINISHED_WORK, work_follows_hooks_in
from bosun.core.mirrors import mirror_hook
from bosun.core.records import PHASE_TRANSITIONS, Hook, Phase, PhaseChange, check_transition

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx


MAX_HISTORY = 200  # the hook keeps its latest phase changes; `hook.phase` events keep all


def parse_phase(value: str) -> Phase:
    try:
        return Phase(value)
    except ValueError:
        raise InvalidInput(
            f"unknown phase {value!r}", "use one of: " + ", ".join(p.value for p in Phase)
        ) from None


class Hooks:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def find(self, role: str, name: str) -> Hook | None:
        with self.ctx.store.transaction(write=False) as tx:
            return self.find_in(tx, role, name)

    def find_in(self, tx: Tx, role: str, name: str) -> Hook | None:
        row = tx.one("hook_get", role=role, name=name)
        if row is None:
            self.ctx.identities.get_in(tx, role, name)  # NotFound / InvalidName
            return None
        return Hook.from_row(row)  # the foreign key guarantees the identity exists

    def get(self, role: str, name: str) -> Hook:
        with self.ctx.store.transaction(write=False) as tx:
            return self.get_in(tx, role, name)

    def get_in(self, tx: Tx, role: str, name: str) -> Hook:
        hook = self.find_in(tx, role, name)
        if hook is None:
            raise NotFound(
                f"{role}/{name} has no hook",
                f"pin work with `bosun hook pin {role} {name} WORK_ID`",
            )
        return hook

    def list(self) -> list[Hook]:
        with self.ctx.store.transaction(write=False) as tx:
            return [Hook.from_row(r) for r in tx.all("hook_list")]

    def pin(
        self,
        role: str,
        name: str,
        work_id: str,
        summary: str | None = None,
        *,
        by: str | None = None,
        force: bool = False,
    ) -> Hook:
        """Pin a work item to the identity (replacing a released or finished hook).

        `by` is the identity asking (None: the operator, or bosun itself); an agent pins
        onto another identity only with `force`, recorded as `hook.forced`."""
        if summary is not None:
            check_text(summary, "summary")
        with self.ctx.store.transaction() as tx:
            self.ctx.identities.get_in(tx, role, name)
            self.authorize_in(tx, role, name, by, force, "pin", work_id)
            work = self.ctx.work.get_in(tx, work_id)
            current = self.find_in(tx, role, name)
            if current is not None and current.work_id == work_id and current.unfinished:
                return current  # pinning the same work again changes nothing
            if work.status in FINISHED_WORK:
                raise InvalidInput(
                    f"work item {work_id} is {work.status}: there is nothing left to do on it",
                    "pin open work (`bosun work ready`); a rejected item can be reopened with "
                    f"`bosun work update {work_id} --status open`",
                    code="work_finished",
                )
            if current is not None and current.unfinished:
                raise InvalidInput(
                    f"{role}/{name} already holds unfinished work {current.work_id} "
                    f"(phase {current.phase})",
                    f"release it first with `bosun hook release {role} {name}`",
                    code="hook_busy",
                )
            history = (PhaseChange(Phase.ASSIGNED, tx.now),)
            tx.run(
                "hook_upsert",
                role=role,
                name=name,
                work_id=work.id,
                summary=summary if summary is not None else work.title,
                phase=str(Phase.ASSIGNED),
                checkpoint_note=None,
                checkpoint_at=None,
                resumption=None,
                phase_history=Hook(
                    role, name, work.id, Phase.ASSIGNED, tx.now, tx.now, history=history
                ).history_json(),
            )
            work_follows_hooks_in(self.ctx, tx, work.id, f"{role}/{name}")
            hook = self.get_in(tx, role, name)
            tx.emit(
                "hook.pinned",
                f"{role}/{name}",
                {"work_id": work.id, "phase": "assigned", "by": by},
            )
            mirror_hook(self.ctx, tx, role, name, hook)
            return hook

    def update_phase(
        self,
        role: str,
        name: str,
        phase: str | Phase,
        *,
        by: str | None = None,
        force: bool = False,
    ) -> Hook:
        """Move the hook (and its work item); an agent moves another's only with `force`."""
        with self.ctx.store.transaction() as tx:
            hook = self.get_in(tx, role, name)
            self.authorize_in(tx, role, name, by, force, "update-phase", hook.work_id)
            return self.update_phase_in(tx, role, name, phase, by=by)

    def authorize_in(
        self,
        tx: Tx,
        role: str,
        name: str,
        by: str | None,
        force: bool,
        action: str,
        work_id: str,
    ) -> None:
        """An agent (`by`) acts on its own hook; on another identity's only with `force`,
        which is audited (`hook.forced` names who forced it). The operator (`by` None)
        may act on any hook."""
        target = f"{role}/{name}"
        if by is None or by == target:
            return
        if not force:
            crew = self.ctx.identities.get_in(tx, role, name).crew
            raise InvalidInput(
                f"{by} may not {action} the hook of {target}{' (crew)' if crew else ''}",
                f"an agent changes only its own hook; add --force to {action} anyway "
                "(recorded), or ask the operator",
                code="not_authorized",
            )
        tx.emit("hook.forced", target, {"by": by, "action": action, "work_id": work_id})

    def update_phase_in(
        self, tx: Tx, role: str, name: str, phase: str | Phase, by: str | None = None
    ) -> Hook:
        """Move the hook, and its work item with it (core.agreement)."""
        hook = self.get_in(tx, role, name)
        new = parse_phase(str(phase))
        if hook.phase == new:
            return hook
        self.move_in(tx, role, name, new, by=by)
        work_follows_hooks_in(self.ctx, tx, hook.work_id, by or f"{role}/{name}")
        return self.get_in(tx, role, name)

    def move_in(
        self,
        tx: Tx,
        role: str,
        name: str,
        phase: Phase,
        by: str | None = None,
        reason: str | None = None,
    ) -> Hook:
        """The hook alone: callers keep its work item agreeing (see core.agreement)."""
        hook = self.get_in(tx, role, name)
        check_transition(PHASE_TRANSITIONS, f"hook of {role}/{name}", hook.phase, phase)
        history = (*hook.history, PhaseChange(phase, tx.now, hook.phase))[-MAX_HISTORY:]
        updated = self._save(tx, hook, phase=phase, history=history)
        data = {"old": str(hook.phase), "new": str(phase), "work_id": hook.work_id}
        if by is not None:
            data["by"] = by
        if reason is not None:
            data["reason"] = reason
        tx.emit("hook.phase", f"{role}/{name}", data)
        if phase == Phase.RELEASED:
            tx.emit("hook.released", f"{role}/{name}", {"work_id": hook.work_id, "by": by})
        return updated

    def update_resumption(self, role: str, name: str, text: str) -> Hook:
        check_text(text, "resumption instructions")
        with self.ctx.store.transaction() as tx:
            return self.update_resumption_in(tx, role, name, text)

    def update_resumption_in(self, tx: Tx, role: str, name: str, text: str) -> Hook:
        hook = self.get_in(tx, role, name)
        updated = self._save(tx, hook, resumption=text)
        tx.emit("hook.resumption", f"{role}/{name}", {"work_id": hook.work_id, "chars": len(text)})
        return updated

    def checkpoint(self, role: str, name: str, note: str | None = None) -> Hook:
        if note is not None:
            check_text(note, "checkpoint note")
        with self.ctx.store.transaction() as tx:
            return self.checkpoint_in(tx, role, name, note)

    def checkpoint_in(self, tx: Tx, role: str, name: str, note: str | None = None) -> Hook:
        hook = self.get_in(tx, role, name)
        updated = self._save(
            tx,
            hook,
            checkpoint_note=note if note is not None else hook.checkpoint_note,
            checkpoint_at=tx.now,
        )
        tx.emit(
            "hook.checkpoint",
            f"{role}/{name}",
            {"work_id": hook.work_id, "phase": str(hook.phase), "note": note},
        )
        return updated

    def release(
        self, role: str, name: str, by: str | None = None, *, force: bool = False
    ) -> Hook:
        """Let go of the hook's work; work nobody holds any more goes back to open. An
        agent (`by`) releases another identity's hook only with `force`."""
        with self.ctx.store.transaction() as tx:
            hook = self.get_in(tx, role, name)
            if hook.phase == Phase.RELEASED:
                return hook
            self.authorize_in(tx, role, name, by, force, "release", hook.work_id)
            return self.update_phase_in(tx, role, name, Phase.RELEASED, by=by)

    def _save(
        self,
        tx: Tx,
        hook: Hook,
        *,
        phase: Phase | None = None,
        history: tuple[PhaseChange, ...] | None = None,
        checkpoint_note: str | None = None,
        checkpoint_at: float | None = None,
        resumption: str | None = None,
    ) -> Hook:
        probe = Hook(
            hook.role,
            hook.name,
            hook.work_id,
            phase or hook.phase,
            hook.pinned_at,
            tx.now,
            history=history if history is not None else hook.history,
        )
        row = tx.one(
            "hook_update_returning",
            role=hook.role,
            name=hook.name,
            phase=str(probe.phase),
            checkpoint_note=checkpoint_note
            if checkpoint_note is not None
            else hook.checkpoint_note,
            checkpoint_at=checkpoint_at if checkpoint_at is not None else hook.checkpoint_at,
            resumption=resumption if resumption is not None else hook.resumption,
            phase_history=probe.history_json(),
        )
        assert row is not None
        updated = Hook.from_row(row)
        mirror_hook(self.ctx, tx, hook.role, hook.name, updated)
        return updated
