"""Starting a runner (layer 2): its spec, its identity and hook, then its process.

The spawn order: the runner's identity and hook are registered before its process
starts, the process gets a clean environment (no nested-agent variables) and its own
session, and the caller gets its pid and the path of the state file it writes.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bosun.base.durations import parse_duration
from bosun.base.errors import InvalidInput, NotFound
from bosun.chain.names import (
    Layer,
    expand_prompt,
    guardian_ref,
    initiative,
    node_name,
    orchestrator_ref,
    runner_ref,
)
from bosun.chain.orchestrator import report_section, worktree_for
from bosun.chain.preflight import node_preset
from bosun.chain.records import RunnerSpec, spec_path, state_path, write_spec
from bosun.core.records import IdentityStatus
from bosun.gitops.git import Git
from bosun.pipeline.graph import Graph, Node
from bosun.pipeline.launch import read_graph
from bosun.pipeline.nodetypes import NodeType
from bosun.pipeline.runs import find_run
from bosun.runtime.env import session_environment

if TYPE_CHECKING:
    from bosun.core.context import Context

RUNNER_ROLE = Layer.RUNNER.role


@dataclass(frozen=True)
class RunnerProcess:
    pid: int
    runner: str
    orchestrator: str
    state_file: Path
    spec_file: Path
    log_file: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "runner": self.runner,
            "orchestrator": self.orchestrator,
            "state_file": str(self.state_file),
            "spec_file": str(self.spec_file),
            "log_file": str(self.log_file),
        }


def current_branch(workdir: Path) -> str:
    result = Git(workdir).try_run("symbolic-ref", "--quiet", "--short", "HEAD")
    if not result.ok or not result.stdout.strip():
        raise InvalidInput(
            f"{workdir} is not on a branch", "agent nodes run in a git worktree on a branch"
        )
    return result.stdout.strip()


def merge_target(ctx: Context, graph: Graph, node: Node, workdir: Path) -> str:
    """The branch the node's work lands on ("" when the node sets merge=false)."""
    if node.get("merge").strip().lower() in ("false", "0", "no", "off"):
        return ""
    configured = ctx.config.text("chain.merge_target")
    wanted = (node.get("merge_target") or graph.get("merge_target") or configured).strip()
    return current_branch(workdir) if wanted in ("", "run") else wanted


def node_timeout(ctx: Context, node: Node) -> float:
    raw = node.get("timeout").strip()
    return parse_duration(raw, "timeout") if raw else ctx.config.number("chain.node_timeout")


def node_work_id(ctx: Context, name: str, title: str, body: str) -> str:
    """The orchestrator's unfinished work when it has some (a retry continues it), else a
    new work item for this execution."""
    orchestrator = Layer.ORCHESTRATOR.role
    if ctx.identities.find(orchestrator, name) is not None:
        hook = ctx.hooks.find(orchestrator, name)
        if hook is not None and hook.unfinished:
            return hook.work_id
    return ctx.work.create(title, body).id


def build_spec(
    ctx: Context,
    graph: Graph,
    node: Node,
    run_id: str,
    logs_root: Path,
    stage_dir: Path,
    workdir: Path,
    *,
    attempt: int = 1,
    env: dict[str, str] | None = None,
) -> RunnerSpec:
    """Everything the runner needs, with the node's work item created (or continued)."""
    if node.type != NodeType.AGENT:
        raise InvalidInput(
            f"node {node.id!r} is a {node.type} node, not an agent node",
            "runners supervise agent (shape=box) nodes only",
        )
    if ctx.paths is None:
        raise InvalidInput("agent nodes need a bosun project", "run `bosun init` first")
    name = node_name(run_id, node.id)
    base = Git(workdir).rev("HEAD")
    if base is None:
        raise InvalidInput(f"{workdir} has no commit", "agent nodes run in a git worktree")
    target = merge_target(ctx, graph, node, workdir)
    tree = worktree_for(ctx, name)
    runner, orchestrator = runner_ref(run_id, node.id), orchestrator_ref(run_id, node.id)
    spec = RunnerSpec(
        run_id=run_id,
        node_id=node.id,
        name=name,
        project_root=str(ctx.paths.root),
        logs_root=str(logs_root),
        stage_dir=str(stage_dir),
        workdir=str(workdir),
        base_commit=base,
        merge_target=target,
        preset=node_preset(node, graph, ctx.config),
        title=f"{node.label} (run {run_id}, node {node.id})",
        work_id="",
        timeout=node_timeout(ctx, node),
        attempt=attempt,
        env=dict(env or {}),
        execution=secrets.token_hex(6),
    )
    values = {
        "goal": graph.get("goal"),
        "run_id": run_id,
        "node": node.id,
        "runner": runner,
        "guardian": guardian_ref(run_id),
        "orchestrator": orchestrator,
        "status_path": str(spec.status_path),
        "worktree": str(tree.path),
        "branch": tree.branch,
        "workdir": str(workdir),
        "base_sha": base,
        "merge_target": target,
    }
    prompt = expand_prompt(node.prompt or node.label, values)
    body = prompt + report_section(spec, runner, orchestrator, tree)

    return replace(spec, work_id=node_work_id(ctx, name, spec.title, body))


def register_runner(ctx: Context, spec: RunnerSpec) -> None:
    """The runner's identity (a fresh incarnation for a new execution) and its hook."""
    identity = ctx.identities.create(
        RUNNER_ROLE,
        spec.name,
        runtime="builtin",
        initiative=initiative(spec.run_id),
        host=socket.gethostname(),
    )
    if identity.status != IdentityStatus.ACTIVE:
        with ctx.store.transaction() as tx:
            ctx.identities.new_incarnation(tx, RUNNER_ROLE, spec.name, reason="runner started")
    hook = ctx.hooks.find(RUNNER_ROLE, spec.name)
    if hook is not None and hook.unfinished and hook.work_id != spec.work_id:
        ctx.hooks.release(RUNNER_ROLE, spec.name)
    ctx.hooks.pin(RUNNER_ROLE, spec.name, spec.work_id)


def runner_environment(ctx: Context, spec: RunnerSpec) -> dict[str, str]:
    assert ctx.paths is not None
    # The runner is bosun itself (it spawns the node's agent through the fleet, which
    # scrubs the agent's environment): it keeps the operator's environment.
    return session_environment(
        os.environ,
        allow=("*",),
        extra={
            "BOSUN_IDENTITY": f"{RUNNER_ROLE}/{spec.name}",
            "BOSUN_HOME": str(ctx.paths.root),
            "PYTHONUNBUFFERED": "1",
        },
    )


def start_runner(ctx: Context, spec: RunnerSpec) -> RunnerProcess:
    """Register, write the spec, start `python -m bosun.chain.runner SPEC`."""
    register_runner(ctx, spec)
    spec_file = write_spec(spec)
    state_file = state_path(spec.logs_root, spec.name)
    state_file.unlink(missing_ok=True)  # a previous execution's state is not this one's
    log_file = spec_file.with_name(f"{spec.name}.log")
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bosun.chain.runner", str(spec_file)],
            cwd=spec.project_root,
            env=runner_environment(ctx, spec),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    with ctx.store.transaction() as tx:
        ctx.identities.set_status_in(
            tx, RUNNER_ROLE, spec.name, IdentityStatus.ACTIVE, "runner started", pid=proc.pid
        )
        tx.emit(
            "chain.runner_launched",
            f"{RUNNER_ROLE}/{spec.name}",
            {"run_id": spec.run_id, "node": spec.node_id, "pid": proc.pid, "spec": str(spec_file)},
        )
    return RunnerProcess(
        proc.pid,
        f"{RUNNER_ROLE}/{spec.name}",
        f"{Layer.ORCHESTRATOR.role}/{spec.name}",
        state_file,
        spec_file,
        log_file,
        proc,
    )


def spec_for_run(
    ctx: Context, run_id: str, node_id: str, target_dir: Path | None = None
) -> RunnerSpec:
    """A runner spec for `bosun spawn-runner`: the node from the run's graph copy, run in
    `target_dir` (default: the run's worktree, else its workspace)."""
    assert ctx.paths is not None
    base = find_run(run_id, ctx.paths.runs, ctx)
    if not (base / "graph.dot").is_file():
        raise NotFound(f"run {run_id} has no graph.dot", "the run never got past its start")
    _, graph = read_graph(base / "graph.dot")
    node = graph.nodes.get(node_id)
    if node is None:
        agents = ", ".join(n.id for n in graph.of_type(NodeType.AGENT)) or "none"
        raise NotFound(f"run {run_id} has no node {node_id!r}", f"agent nodes: {agents}")
    if node.type != NodeType.AGENT:
        raise InvalidInput(
            f"node {node.id!r} is a {node.type} node, not an agent node",
            "runners supervise agent (shape=box) nodes only",
        )
    if target_dir is None:
        git_info = base / "git.json"
        if git_info.is_file():
            target_dir = Path(json.loads(git_info.read_text())["worktree"])
        else:
            target_dir = Path(json.loads((base / "manifest.json").read_text())["workspace"])
    target_dir = target_dir.expanduser().absolute()
    if not target_dir.is_dir():
        raise NotFound(f"target dir {target_dir} does not exist", "pass an existing --target-dir")
    stage_dir = base / node_id / f"manual-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"
    stage_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "BOSUN_RUN_ID": run_id,
        "BOSUN_NODE_ID": node_id,
        "BOSUN_LOGS_ROOT": str(base),
        "BOSUN_STAGE_LOGS_DIR": str(stage_dir),
        "BOSUN_STAGE_STATUS_PATH": str(stage_dir / "stage_status.json"),
    }
    return build_spec(ctx, graph, node, run_id, base, stage_dir, target_dir, env=env)


def wait_for_state(process: RunnerProcess, timeout: float = 20.0) -> bool:
    """True once the runner wrote its state file (False if it died or took too long)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.state_file.is_file():
            return True
        if process.proc is not None and process.proc.poll() is not None:
            return process.state_file.is_file()
        time.sleep(0.05)
    return False


__all__ = ["RunnerProcess", "build_spec", "spec_for_run", "spec_path", "start_runner"]
