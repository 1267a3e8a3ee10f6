"""The names of a run's layers and the variables an agent node's prompt may use.

Every layer is an identity whose name is derived from the run id (and the node id):
`launcher/<run>`, `guardian/<run>`, `runner/<run>-<node>`, `orchestrator/<run>-<node>`.
Identity names must match `^[a-z0-9][a-z0-9_.-]{0,62}$` and double as worktree and branch
names, while run ids may hold capitals and reach 100 characters and node ids are free-form —
so names are sanitised; a name that had to change or was too long gets a short hash of the
original text, so the same input always gives the same name and different inputs do not
share one.
"""

from __future__ import annotations

import hashlib
import re
from enum import IntEnum

from bosun.base.names import check_name

MAX_NAME = 63
_BAD = re.compile(r"[^a-z0-9_.-]+")


class Layer(IntEnum):
    """The four layers of a run, numbered top down from 0."""

    LAUNCHER = 0
    GUARDIAN = 1
    RUNNER = 2
    ORCHESTRATOR = 3

    @property
    def role(self) -> str:
        return self.name.lower()


ROLES = {layer.role: layer for layer in Layer}


def initiative(run_id: str) -> str:
    """Every identity of a run carries this initiative, which is how `bosun run agents`
    finds them."""
    return f"run:{run_id}"


def safe_name(text: str) -> str:
    """`text` as a valid identity, worktree and branch name (deterministic)."""
    lowered = text.strip().lower()
    cleaned = _BAD.sub("-", lowered)
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-._")
    if cleaned.endswith(".lock"):
        cleaned = cleaned[: -len(".lock")] + "-lock"
    if cleaned != text or len(cleaned) > MAX_NAME or not cleaned:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]
        keep = MAX_NAME - len(digest) - 1
        cleaned = f"{cleaned[:keep].rstrip('-._')}-{digest}".lstrip("-")
    return check_name(cleaned)


def run_name(run_id: str) -> str:
    """The name of the launcher and the guardian of run `run_id`."""
    return safe_name(run_id)


def node_name(run_id: str, node_id: str) -> str:
    """The name of the runner and the orchestrator of `node_id` in run `run_id`."""
    return safe_name(f"{run_id}-{node_id}")


def ref(layer: Layer, name: str) -> str:
    return f"{layer.role}/{name}"


def launcher_ref(run_id: str) -> str:
    return ref(Layer.LAUNCHER, run_name(run_id))


def guardian_ref(run_id: str) -> str:
    return ref(Layer.GUARDIAN, run_name(run_id))


def runner_ref(run_id: str, node_id: str) -> str:
    return ref(Layer.RUNNER, node_name(run_id, node_id))


def orchestrator_ref(run_id: str, node_id: str) -> str:
    return ref(Layer.ORCHESTRATOR, node_name(run_id, node_id))


_VARIABLE = re.compile(r"\$([a-z_]+)\b")


def expand_prompt(text: str, values: dict[str, str]) -> str:
    """Replace `$name` for the known names (`$goal`, `$runner`, `$status_path`, …); any
    other `$word` (a shell variable, say) is left as it is."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)
