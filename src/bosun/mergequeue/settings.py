"""Settings of the merge queue (`[merge_queue]` in .bosun/config.toml)."""

from typing import Any

from bosun.base.config import Setting, declare


def _check_gates(value: Any) -> str | None:
    if not all(isinstance(g, str) and g.strip() for g in value):
        return 'gates is a list of shell commands, e.g. ["make test"]'
    return None


declare(
    Setting(
        "merge_queue.gates",
        "list",
        [],
        "commands run (in order, each in its own process group) on every candidate; "
        "all must exit 0",
        check=_check_gates,
    ),
    Setting(
        "merge_queue.gate_timeout",
        "duration",
        1800.0,
        "a gate running longer is killed and counts as failed",
        minimum=0.1,
    ),
    Setting(
        "merge_queue.batch",
        "choice",
        "1",
        "1 lands one request at a time; adaptive batches and bisects failing batches",
        choices=("1", "adaptive"),
    ),
    Setting(
        "merge_queue.batch_floor",
        "int",
        1,
        "smallest adaptive window (requests per batch)",
        minimum=1,
        maximum=256,
    ),
    Setting(
        "merge_queue.batch_ceiling",
        "int",
        8,
        "largest adaptive window (requests per batch); also the starting window",
        minimum=1,
        maximum=256,
    ),
    Setting(
        "merge_queue.flake_retries",
        "int",
        0,
        "times a failing gate is rerun before it counts as failed (flake filter)",
        minimum=0,
        maximum=5,
    ),
    Setting(
        "merge_queue.delete_source_branch",
        "bool",
        True,
        "delete a landed branch once it is proven contained in the target",
    ),
    Setting(
        "merge_queue.enabled",
        "bool",
        True,
        "run the merge queue inside `bosun supervise` (off: you run `bosun merge-queue "
        "process` yourself, or another host does)",
    ),
    Setting(
        "merge_queue.remote",
        "str",
        "",
        "push the target to this remote after each landing; empty = no push",
    ),
    Setting(
        "merge_queue.require_approval",
        "bool",
        False,
        "hold each new request in awaiting_approval until a person runs `bosun mr approve ID`; "
        "exactly the approved commit lands",
    ),
    Setting(
        "merge_queue.lease_ttl",
        "duration",
        60.0,
        "how long a processor's lease on a target lasts without renewal (SQLite)",
        minimum=0.5,
    ),
)
