"""`bosun identity …`: persistent agent names that outlive every session."""

from __future__ import annotations

from typing import Any

import typer

from bosun.base.names import split_identity
from bosun.cli import hot
from bosun.cli.common import AGENT, JSON, SECOND, age, agent_ref, finite, output, project, table

app = typer.Typer(help="Persistent agent identities (role/name).", no_args_is_help=True)


def _render(identities: list[Any]) -> str:
    now = project().clock.now()
    return table(
        (
            (
                i.ref,
                i.status,
                i.incarnation,
                i.runtime or "-",
                i.pid or "-",
                age(now - i.last_seen),
                "crew" if i.crew else "",
            )
            for i in identities
        ),
        ("IDENTITY", "STATUS", "INC", "RUNTIME", "PID", "SEEN", ""),
    )


def _one(identity: Any) -> str:
    data = identity.to_json(project().clock.now())
    return "\n".join(f"{k}: {'' if v is None else v}" for k, v in sorted(data.items()))


@app.command("create")
def create(
    agent: str = typer.Argument(..., metavar="ROLE/NAME", help="ROLE/NAME (or ROLE NAME)."),
    name: str | None = SECOND,
    session_id: str = typer.Option(None, "--session-id", help="The runtime's session id."),
    worktree: str = typer.Option(None, "--worktree", help="The identity's worktree path."),
    runtime: str = typer.Option(None, "--runtime", help="Runtime preset (claude, sim, …)."),
    initiative: str = typer.Option(None, "--initiative", help="What the identity works toward."),
    host: str = typer.Option(None, "--host", help="The host that runs its sessions."),
    as_json: bool = JSON,
) -> None:
    """Register ROLE/NAME (idempotent; given fields refresh an existing identity)."""
    role, name = split_identity(agent) if name is None else (agent, name)
    identity = project().identities.create(
        role,
        name,
        session_id=session_id,
        worktree=worktree,
        runtime=runtime,
        initiative=initiative,
        host=host,
    )
    output(identity, as_json, _one)


def heartbeat(agent: str = AGENT, name: str | None = SECOND, as_json: bool = JSON) -> None:
    """Record that ROLE/NAME is alive now (a stale identity becomes active)."""
    hot.heartbeat(*agent_ref(agent, name), as_json)


app.command("heartbeat")(heartbeat)
app.command("update-liveness", help="Alias of `heartbeat`.")(heartbeat)


@app.command("find-stale")
def find_stale(
    timeout: float = typer.Option(
        None,
        "--timeout",
        callback=finite,
        help="Seconds without a heartbeat (default: identity.stale_after, 300).",
    ),
    as_json: bool = JSON,
) -> None:
    """List identities not seen within the timeout (terminated ones excluded)."""
    output(project().identities.find_stale(timeout), as_json, _render)


@app.command("mark-crashed")
def mark_crashed(
    agent: str = AGENT,
    name: str | None = SECOND,
    reason: str = typer.Option(None, "--reason", help="Why, for the audit trail."),
    as_json: bool = JSON,
) -> None:
    """Record that ROLE/NAME's session crashed."""
    identity = project().identities.mark_crashed(*agent_ref(agent, name), reason)
    output(identity, as_json, f"{identity.ref} marked crashed")


@app.command("mark-terminated")
def mark_terminated(
    agent: str = AGENT,
    name: str | None = SECOND,
    reason: str = typer.Option(None, "--reason", help="Why, for the audit trail."),
    as_json: bool = JSON,
) -> None:
    """Record that ROLE/NAME is finished for good."""
    identity = project().identities.mark_terminated(*agent_ref(agent, name), reason)
    output(identity, as_json, f"{identity.ref} marked terminated")


@app.command("list")
def list_(
    stale_only: bool = typer.Option(False, "--stale-only", help="Only stale identities."),
    role: str = typer.Option(None, "--role", help="Only this role."),
    status: str = typer.Option(None, "--status", help="Only this status."),
    as_json: bool = JSON,
) -> None:
    """List identities."""
    output(
        project().identities.list(role=role, status=status, stale_only=stale_only), as_json, _render
    )


@app.command("show")
def show(agent: str = AGENT, name: str | None = SECOND, as_json: bool = JSON) -> None:
    """Show one identity."""
    output(project().identities.get(*agent_ref(agent, name)), as_json, _one)


@app.command("delete")
def delete(agent: str = AGENT, name: str | None = SECOND, as_json: bool = JSON) -> None:
    """Forget ROLE/NAME: refused while it runs, holds unfinished work on its hook, or its
    worktree holds uncommitted or unmerged work. Its worktree is removed; events stay."""
    # lazy: CLI start-up time
    from bosun.agents.driver import project_fleet
    from bosun.agents.forget import forget_identity

    role, ident = agent_ref(agent, name)
    done = forget_identity(project_fleet(project()), role, ident)
    removed = f" and its worktree {done['worktree_removed']}" if done["worktree_removed"] else ""
    output(done, as_json, f"deleted {done['identity']}{removed}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="identity")
