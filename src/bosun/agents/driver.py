"""The runtime driver a project's agents run under: tmux on a per-project socket."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from bosun.agents.fleet import Fleet
from bosun.runtime.delivery import DeliveryConfig
from bosun.runtime.tmux import TmuxRuntime

if TYPE_CHECKING:
    from bosun.core.context import Context


def tmux_socket_name(ctx: Context) -> str:
    """`runtime.tmux_socket`, or `bosun-<short hash of the project root>`."""
    configured = ctx.config.optional_text("runtime.tmux_socket") or ""
    if configured:
        return configured
    root = str(ctx.paths.root) if ctx.paths else "memory"
    return "bosun-" + hashlib.sha256(root.encode()).hexdigest()[:8]


def project_runtime(ctx: Context) -> TmuxRuntime:
    home = ctx.paths.home if ctx.paths else None
    return TmuxRuntime(
        tmux_socket_name(ctx),
        delivery=DeliveryConfig.from_config(ctx.config),
        spec_dir=home / "run" / "launch" if home else None,
        lock_dir=home / "run" / "locks" if home else None,
    )


def project_fleet(ctx: Context) -> Fleet:
    """The project's fleet: its agent sessions on the project's tmux server."""
    return Fleet(ctx, project_runtime(ctx))
