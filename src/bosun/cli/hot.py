"""The commands agents run many times a minute, free of typer and click.

Both ways in call these: the Typer commands (`bosun identity heartbeat`, `bosun prime`,
`bosun hook checkpoint`, `bosun signal send`) and the fast path that parses their argument
lists without building the Click tree (`bosun.cli.fastpath`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bosun.base.errors import InvalidInput
from bosun.cli.output import output, project, self_identity
from bosun.core.context import Context


def heartbeat(role: str, name: str, as_json: bool) -> None:
    identity = project().identities.heartbeat(role, name)
    output(identity, as_json, f"{identity.ref} seen ({identity.status})")


def prime(role: str | None, name: str | None, as_json: bool) -> None:
    from bosun.core.prime import build_prime  # lazy: CLI start-up time

    ctx = project()
    if role is not None and name is None and "/" in role:
        role, name = role.split("/", 1)
    if role is None or name is None:
        role, name = _infer_identity(ctx)
    block = build_prime(ctx, role, name)
    output(block, as_json, block.render())


def checkpoint(role: str, name: str, note: str | None, as_json: bool) -> None:
    output(project().hooks.checkpoint(role, name, note), as_json, render_hook)


def signal_send(to: str, kind: str, payload: str | None, sender: str | None,
                as_json: bool) -> None:
    from bosun.core.signals import parse_payload  # lazy: CLI start-up time

    data = parse_payload(payload)
    if sender is None and (me := self_identity()):
        sender = "/".join(me)
    sig = project().signals.send(to, kind, data, sender)
    output(sig, as_json, f"sent {sig.type} to {sig.to} ({sig.id})")


def _infer_identity(ctx: Context) -> tuple[str, str]:
    found = self_identity()
    if found:
        return found
    here = Path.cwd().resolve()
    for identity in ctx.identities.list():
        if identity.worktree and _inside(here, Path(identity.worktree)):
            return identity.role, identity.name
    raise InvalidInput(
        "no identity to prime",
        "give ROLE NAME, set BOSUN_IDENTITY=role/name, or run it inside an agent's worktree",
    )


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root.resolve())
        return True
    except ValueError:
        return False


def render_hook(hook: Any) -> str:
    lines = [
        f"{hook.role}/{hook.name}: {hook.work_id} [{hook.phase}] {hook.summary or ''}".rstrip(),
    ]
    if hook.checkpoint_note:
        lines.append(f"checkpoint: {hook.checkpoint_note}")
    if hook.resumption:
        lines.append(f"resumption: {hook.resumption}")
    if hook.history:
        lines.append("phases: " + " → ".join(str(h.phase) for h in hook.history))
    return "\n".join(lines)
