"""The default nudge text for an identity, from its role and hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bosun.core.context import Context


def nudge_text(ctx: Context, role: str, name: str) -> str:
    hook = ctx.hooks.find(role, name)
    if hook is None or not hook.unfinished:
        return f"Run `bosun prime` to see your state, {role}/{name}; your hook is empty."
    title = hook.summary or hook.work_id
    return (
        f"Run `bosun prime` and continue your hook: {title}, phase {hook.phase}. Do not start over."
    )
