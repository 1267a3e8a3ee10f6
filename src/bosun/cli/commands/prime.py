"""`bosun prime`: the block an agent reads at session start."""

from __future__ import annotations

from pathlib import Path

import typer

from bosun.cli.common import JSON, output, project


def prime(
    role: str = typer.Argument(None, help="Role (default: from BOSUN_IDENTITY or worktree)."),
    name: str = typer.Argument(None, help="Name."),
    as_json: bool = JSON,
) -> None:
    """Print who you are, your hook, unread signals and exactly what to do next."""
    from bosun.core.prime import build_prime

    ctx = project()
    if role is not None and name is None and "/" in role:
        role, name = role.split("/", 1)
    if role is None or name is None:
        role, name = _infer_identity(ctx)
    block = build_prime(ctx, role, name)
    output(block, as_json, block.render())


def _infer_identity(ctx: object) -> tuple[str, str]:
    from bosun.base.errors import InvalidInput
    from bosun.cli.common import self_identity

    found = self_identity()
    if found:
        return found
    here = Path.cwd().resolve()
    for identity in ctx.identities.list():  # type: ignore[attr-defined]
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


def register(root: typer.Typer) -> None:
    root.command("prime")(prime)
