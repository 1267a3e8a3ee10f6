"""No gates configured: agent work lands untested. `bosun init` and `bosun status` say so
with the lines that add a gate, and the first untested landing on a target is recorded
(`merge.untested`) and logged. A warning, not an `ATTENTION:` line: it is a standing choice
of configuration, not something that went wrong (`bosun status --check` ignores it)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bosun.base.errors import BosunError
from bosun.gitops.branches import main_branch
from bosun.mergequeue.queue import repo_git

if TYPE_CHECKING:
    from bosun.core.context import Context

UNTESTED = "merge.untested"
EXAMPLE_GATE = 'gates = ["pytest -q"]'
logger = logging.getLogger("bosun.mergequeue")


def has_gates(ctx: Context) -> bool:
    return bool(ctx.config.words("merge_queue.gates"))


def untested_warning(ctx: Context, target: str | None = None) -> str | None:
    """One line for `bosun status`, or None when a gate is configured."""
    if has_gates(ctx):
        return None
    return (
        f"no merge gates are configured, so agent work lands on {target or _target(ctx)} "
        f"untested; add your test command under [merge_queue] in .bosun/config.toml: "
        f"{EXAMPLE_GATE}"
    )


def untested_advice(ctx: Context) -> str | None:
    """The same for `bosun init`, with the lines to paste."""
    if has_gates(ctx):
        return None
    return (
        f"warning: no merge gates are configured, so agent work lands on {_target(ctx)} "
        "untested.\nAdd your test command to .bosun/config.toml (each gate must exit 0 "
        f"for a branch to land; see docs/merge-queue.md):\n\n    [merge_queue]\n    {EXAMPLE_GATE}"
    )


def record_untested_landing(ctx: Context, target: str, requests: Sequence[str]) -> bool:
    """The first landing without gates on `target`: an event and a log line. True when
    this call recorded it (later landings only show in their `merge.landed` event)."""
    if ctx.events.tail(1, kind=UNTESTED, subject=target):
        return False
    message = untested_warning(ctx, target) or f"{target} landed without gates"
    with ctx.store.transaction() as tx:
        tx.emit(UNTESTED, target, {"requests": list(requests), "message": message})
    logger.warning("merge queue: %s", message)
    return True


def _target(ctx: Context) -> str:
    try:
        return main_branch(repo_git(ctx), ctx.config)
    except BosunError:
        return "the target branch"
