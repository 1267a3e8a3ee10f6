"""A worker of the multi-process concurrency test: mixed heartbeats and hook updates.

    python hammer.py DIALECT LOCATION WORKER OPS GO_FILE ROLE/NAME...

Waits until GO_FILE exists (so every worker starts at once), runs OPS random operations on
the given identities through the core services, and prints one JSON line: what it did and
every error it saw (there must be none).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections import Counter
from typing import Any

PHASES = ("executing", "blocked", "impl_complete")  # every pair is a legal transition


def open_store(dialect: str, location: str) -> Any:
    if dialect == "sqlite":
        from bosun.store.sqlite import SqliteStore

        return SqliteStore(location, create=False)
    from bosun.store.postgres import PostgresStore

    return PostgresStore(location)


def main(argv: list[str]) -> int:
    dialect, location, worker, ops, go_file, *refs = argv
    from bosun.base.config import default_config
    from bosun.core.context import Context

    ctx = Context(store=open_store(dialect, location), config=default_config())
    rng = random.Random(int(worker))
    calls: Counter[str] = Counter()
    last_seen: dict[str, float] = {}
    errors: list[str] = []
    deadline = time.monotonic() + 120
    while not os.path.exists(go_file):
        if time.monotonic() > deadline:
            errors.append("never saw the go file")
            break
        time.sleep(0.001)
    for i in range(int(ops)):
        ref = rng.choice(refs)
        role, name = ref.split("/")
        kind = rng.choices(("heartbeat", "checkpoint", "resumption", "phase"), (4, 2, 2, 2))[0]
        try:
            if kind == "heartbeat":
                seen = ctx.identities.heartbeat(role, name).last_seen
                last_seen[ref] = max(last_seen.get(ref, 0.0), seen)
            elif kind == "checkpoint":
                ctx.hooks.checkpoint(role, name, f"w{worker}-{i}")
            elif kind == "resumption":
                ctx.hooks.update_resumption(role, name, f"w{worker}-{i}-" + "r" * rng.randrange(40))
            else:
                ctx.hooks.update_phase(role, name, rng.choice(PHASES))
            calls[f"{kind} {ref}"] += 1
        except Exception as exc:  # noqa: BLE001 - the test asserts there are none
            errors.append(f"{kind} {ref}: {type(exc).__name__}: {exc}")
    ctx.close()
    print(json.dumps({"calls": calls, "last_seen": last_seen, "errors": errors}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
