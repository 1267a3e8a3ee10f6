"""The real evidence gatherers: git in the identity's worktree, and the event log.

Each gatherer takes a commitment and returns `Evidence` found after the claim was made, None
when there is none, or raises `EvidenceUnavailable` when it cannot look (the identity has no
worktree, git failed). Gatherers run outside any store transaction.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.core.records import Event
from bosun.sentinel.followthrough import (
    Evidence,
    EvidenceKind,
    EvidenceUnavailable,
    Gatherer,
    command_matches,
)

if TYPE_CHECKING:
    from bosun.core.commitments import Commitment
    from bosun.core.context import Context

GIT_TIMEOUT_S = 30.0
MAX_COMMITS = 200
MAX_EVENTS = 2000

HOOK_KINDS = frozenset({"hook.phase", "hook.released", "hook.pinned"})


def default_gatherers(ctx: Context) -> dict[EvidenceKind, Gatherer]:
    """Gatherers bound to a project: git for commits and pushes, the event log for the rest."""

    def worktree(c: Commitment) -> Path:
        return identity_worktree(ctx, c)

    return {
        EvidenceKind.COMMIT: lambda c: git_commit_evidence(worktree(c), c.opened_at),
        EvidenceKind.PUSH: lambda c: git_push_evidence(worktree(c), c.opened_at),
        EvidenceKind.RESTART: lambda c: event_evidence(ctx, c, EvidenceKind.RESTART),
        EvidenceKind.HOOK_CHANGE: lambda c: event_evidence(ctx, c, EvidenceKind.HOOK_CHANGE),
        EvidenceKind.COMMAND: lambda c: event_evidence(ctx, c, EvidenceKind.COMMAND),
    }


def identity_worktree(ctx: Context, c: Commitment) -> Path:
    identity = ctx.identities.find(c.role, c.name)
    if identity is None or not identity.worktree:
        raise EvidenceUnavailable(f"{c.identity} has no worktree")
    path = Path(identity.worktree)
    if not path.is_absolute() and ctx.paths is not None:
        path = ctx.paths.root / path
    if not path.is_dir():
        raise EvidenceUnavailable(f"worktree {path} does not exist")
    return path


def _git(worktree: Path, *args: str) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(worktree), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            errors="replace",
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EvidenceUnavailable(f"git {args[0]} failed in {worktree}: {exc}") from exc
    if out.returncode != 0:
        first = (out.stderr.strip().splitlines() or ["exit " + str(out.returncode)])[0]
        raise EvidenceUnavailable(f"git {args[0]} failed in {worktree}: {first}")
    return out.stdout


def current_branch(worktree: Path) -> str:
    return _git(worktree, "rev-parse", "--abbrev-ref", "HEAD").strip()


def git_commit_evidence(worktree: Path, since: float) -> Evidence | None:
    """The newest commit on the worktree's branch committed at or after `since`.

    Committer time, not author time: a rebase or an amend rewrites it, so they count too.
    """
    branch = current_branch(worktree)
    log = _git(worktree, "log", f"-n{MAX_COMMITS}", "--format=%H%x09%ct%x09%s", "HEAD")
    cutoff = math.floor(since)
    new: list[tuple[str, int, str]] = []
    for line in log.splitlines():
        sha, _, rest = line.partition("\t")
        stamp, _, subject = rest.partition("\t")
        if stamp.isdigit() and int(stamp) >= cutoff:
            new.append((sha, int(stamp), subject))
    if not new:
        return None
    newest = new[0]
    return Evidence(
        EvidenceKind.COMMIT,
        float(newest[1]),
        {"sha": newest[0], "branch": branch, "subject": newest[2], "new_commits": len(new)},
    )


def git_push_evidence(worktree: Path, since: float) -> Evidence | None:
    """A remote-tracking ref of the worktree's branch updated at or after `since`.

    `git push` records the update in the reflog of `refs/remotes/<remote>/<branch>`.
    """
    branch = current_branch(worktree)
    if branch == "HEAD":
        return None  # detached: there is no branch to push
    refs = _git(worktree, "for-each-ref", "--format=%(refname)", f"refs/remotes/*/{branch}")
    cutoff = math.floor(since)
    for ref in refs.split():
        try:
            log = _git(
                worktree, "reflog", "show", "--date=unix", "--format=%H%x09%gd%x09%gs", ref, "--"
            )
        except EvidenceUnavailable:
            continue  # a ref without a reflog says nothing
        for line in log.splitlines():
            sha, _, rest = line.partition("\t")
            selector, _, message = rest.partition("\t")
            stamp = selector.rpartition("@{")[2].rstrip("}")
            if stamp.isdigit() and int(stamp) >= cutoff:
                return Evidence(
                    EvidenceKind.PUSH,
                    float(stamp),
                    {"sha": sha, "branch": branch, "ref": ref, "message": message},
                )
    return None


def event_evidence(ctx: Context, c: Commitment, kind: EvidenceKind) -> Evidence | None:
    """The first event about the identity since the claim that counts as `kind`."""
    for event in ctx.events.about(c.identity, c.opened_at, MAX_EVENTS):
        if _counts(event, kind, c.verb):
            return Evidence(
                kind, event.ts, {"event_id": event.id, "event": event.kind, **_summary(event.data)}
            )
    return None


def _counts(event: Event, kind: EvidenceKind, verb: str) -> bool:
    if kind is EvidenceKind.RESTART:
        return event.kind == "identity.incarnation"
    if kind is EvidenceKind.HOOK_CHANGE:
        return event.kind in HOOK_KINDS
    if kind is EvidenceKind.COMMAND:
        command = event.data.get("command")
        return (
            event.kind == "runtime.command"
            and isinstance(command, str)
            and command_matches(verb, command)
        )
    return False


def _summary(data: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("old", "new", "incarnation", "command", "work_id", "exit_code")
    return {k: data[k] for k in keep if k in data}
