"""Layer 0, the launcher: `bosun run --detach` as an identity.

It checks the graph's runtimes before anything starts, and once the run process (the
guardian) is running it records `launcher/<run>` — created and terminated in one
transaction, with the guardian's pid — so the audit trail shows who started the run even
though the launcher itself exits at once.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

from bosun.chain.names import Layer, initiative, run_name
from bosun.core.records import IdentityStatus

if TYPE_CHECKING:
    from bosun.core.context import Context

ROLE = Layer.LAUNCHER.role


def register_launcher(ctx: Context, run_id: str, guardian_pid: int, logs_root: str) -> None:
    name = run_name(run_id)
    ctx.identities.create(
        ROLE,
        name,
        runtime="builtin",
        initiative=initiative(run_id),
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    with ctx.store.transaction() as tx:
        tx.emit(
            "chain.launched",
            f"{ROLE}/{name}",
            {"run_id": run_id, "guardian_pid": guardian_pid, "logs_root": logs_root},
        )
        ctx.identities.set_status_in(
            tx,
            ROLE,
            name,
            IdentityStatus.TERMINATED,
            f"launched run {run_id} (run process pid {guardian_pid}) and exited",
        )
