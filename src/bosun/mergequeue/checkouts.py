"""The target's checkouts after a landing: synced, or loudly behind with a repair command.

A checkout that could not be brought along is recorded as `merge.checkout_behind` (with
the exact repair command) and stays an ATTENTION line in `bosun status` until a later
`merge.checkout_synced` for the same path. Every processor start retries it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.gitops.branches import checked_out_in
from bosun.gitops.checkouts import CheckoutSync, index_matches, stale_paths, sync_checkout
from bosun.gitops.git import Git

if TYPE_CHECKING:
    from bosun.core.context import Context

BEHIND = "merge.checkout_behind"
SYNCED = "merge.checkout_synced"
_SCAN = 500  # the latest checkout events read to find the open ones


def record_syncs(ctx: Context, target: str, results: Sequence[CheckoutSync]) -> list[str]:
    """Record each failed sync, and each success that closes an open one; the problems."""
    open_paths = set(behind_checkouts(ctx, target))
    with ctx.store.transaction() as tx:
        for result in results:
            if not result.ok:
                tx.emit(BEHIND, target, result.to_json())
            elif str(result.path) in open_paths:
                tx.emit(SYNCED, target, result.to_json())
    return [r.problem for r in results if not r.ok]


def behind_checkouts(ctx: Context, target: str | None = None) -> dict[str, dict[str, Any]]:
    """Open `merge.checkout_behind` records by path (latest first wins)."""
    events = ctx.events.tail(_SCAN, kind="merge.checkout_*")
    latest: dict[str, Any] = {}
    for event in events:  # oldest first
        if target is not None and event.subject != target:
            continue
        path = str(event.data.get("path", ""))
        latest[path] = event
    return {
        path: {**event.data, "target": event.subject}
        for path, event in latest.items()
        if event.kind == BEHIND
    }


def repair_behind_checkouts(ctx: Context, repo: Git, target: str) -> list[CheckoutSync]:
    """Retry every open record of `target`: from its recorded old tip to the branch's tip."""
    tip = repo.rev(f"refs/heads/{target}")
    if tip is None:
        return []
    live = {str(p) for p in checked_out_in(repo, target)}
    results = []
    for path, data in behind_checkouts(ctx, target).items():
        here = repo.at(Path(path))
        old = str(data.get("old", ""))
        if path not in live or not repo.rev(old):
            results.append(CheckoutSync(Path(path), old, tip, True, "no longer checked out"))
        elif index_matches(here, tip) or not stale_paths(here, old, tip):
            results.append(CheckoutSync(Path(path), old, tip, True, "already up to date"))
        else:
            results.append(sync_checkout(here, Path(path), old, tip))
    record_syncs(ctx, target, results)
    return results


def checkout_attention(ctx: Context) -> list[str]:
    """One ATTENTION line per checkout left behind by a landing."""
    return [
        f"checkout {path} of {data['target']} missed landed changes ({data.get('reason')}); "
        f"a commit there would undo them: run `{data.get('repair')}`"
        for path, data in behind_checkouts(ctx).items()
    ]
