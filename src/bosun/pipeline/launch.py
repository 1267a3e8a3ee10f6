"""Starting and resuming runs: run id and logs root checks, the lock, manifest and graph
copy, validation, preflight, git setup — and a terminal final.json when any of it fails
after the run directory exists."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.clock import Clock, SystemClock, iso
from bosun.base.config import default_config
from bosun.base.errors import BosunError, InvalidInput, NotFound
from bosun.base.paths import atomic_write_json, atomic_write_text
from bosun.pipeline.catalog import load_catalog
from bosun.pipeline.dot import parse_dot
from bosun.pipeline.engine import Engine
from bosun.pipeline.executor import RunEnv
from bosun.pipeline.gitrun import GitRun, repo_root, run_branch
from bosun.pipeline.graph import Graph
from bosun.pipeline.handlers.base import CancelToken
from bosun.pipeline.handlers.registry import HandlerRegistry, default_registry
from bosun.pipeline.nodetypes import NodeType
from bosun.pipeline.preflight import PreflightReport, installed_presets, preflight
from bosun.pipeline.recorder import Recorder
from bosun.pipeline.rundir import (
    FinalRecord,
    FinalStatus,
    RunDir,
    RunLock,
    check_run_id,
    new_run_id,
    prepare_logs_root,
    read_final,
)
from bosun.pipeline.state import RunState
from bosun.pipeline.stylesheet import resolve_model
from bosun.pipeline.toolgroups import kill_recorded_groups
from bosun.pipeline.transforms import apply_prompt_files
from bosun.pipeline.validate import errors, validate

if TYPE_CHECKING:
    from bosun.base.config import Config
    from bosun.core.context import Context

SETTING_KEYS = (
    "default_max_retries",
    "tool_timeout",
    "stall_timeout",
    "max_goal_gate_retries",
    "max_restarts",
    "loop_restart_signature_limit",
    "run_branch_prefix",
    "model_catalog",
)


class RunRefused(InvalidInput):
    """The run directory exists and holds a terminal final.json explaining why."""

    code = "run_refused"


@dataclass
class RunOptions:
    workspace: Path
    runs_dir: Path
    config: Config | None = None
    project: Context | None = None
    clock: Clock = field(default_factory=SystemClock)
    sleep: Callable[[float], None] | None = None
    registry: HandlerRegistry | None = None
    cancel: CancelToken = field(default_factory=CancelToken)
    keep_worktree: bool = False
    use_git: bool = True
    strict_models: bool = False  # a model missing from the catalog is an error, not a warning

    @property
    def project_home(self) -> Path | None:
        paths = self.project.paths if self.project is not None else None
        return paths.home if paths is not None else None

    def settings(self) -> dict[str, Any]:
        if self.config is None:
            self.config = default_config()
        return {k: self.config.get(f"pipeline.{k}") for k in SETTING_KEYS}


def read_graph(path: Path) -> tuple[str, Graph]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"no graph file {path}", "pass the path of a .dot file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read graph {path}: {exc}", "pass a UTF-8 .dot file") from exc
    try:
        return text, parse_dot(text, str(path))
    except RecursionError:
        raise InvalidInput(
            f"graph {path} nests subgraphs or attributes too deeply to parse",
            "flatten the graph: a few levels of subgraph are enough",
        ) from None


def check_graph(path: Path) -> Graph:
    """The graph at `path`, parsed and free of validation errors; InvalidInput (exit 2) when
    it is not. Used before a detached run exists, so a bad graph creates nothing."""
    _, graph = read_graph(path)
    problems = errors(validate(graph))
    if problems:
        summary = "; ".join(f"[{d.rule}] {d.message}" for d in problems[:5])
        raise InvalidInput(
            f"graph {path} has {len(problems)} validation error(s): {summary}",
            f"run `bosun run validate {path}` for the fixes",
        )
    return graph


def run_preflight(
    graph: Graph,
    settings: dict[str, Any],
    project_home: Path | None = None,
    strict_models: bool = False,
) -> PreflightReport:
    catalog = load_catalog(settings.get("model_catalog") or "", project_home)
    return preflight(graph, catalog, installed_presets(), strict_models)


def resolved_models(graph: Graph) -> dict[str, dict[str, str]]:
    """Each agent node's provider, model and reasoning effort, with their sources."""
    return {
        node.id: resolve_model(graph, node)
        for node in graph.nodes.values()
        if node.type == NodeType.AGENT
    }


def _env(
    opts: RunOptions, run_id: str, graph: Graph, git: GitRun | None, branch_prefix: str
) -> RunEnv:
    cancel = opts.cancel

    def interruptible_sleep(seconds: float) -> None:
        if not cancel.cancelled:
            threading.Event().wait(seconds)

    sleep = opts.sleep or interruptible_sleep
    settings = opts.settings()
    return RunEnv(
        run_id,
        graph,
        opts.registry or default_registry(),
        opts.clock,
        sleep,
        settings,
        opts.project,
        git,
        branch_prefix,
    )


def _early_final(
    rundir: RunDir,
    project: Context | None,
    reason: str,
    started: str | None,
    clock: Clock,
    status: FinalStatus = FinalStatus.FAIL,
) -> FinalRecord:
    record = FinalRecord(
        status, rundir.run_id, started, iso(clock.now()), reason, "", 0, str(rundir.base)
    )
    rundir.write_final(record)
    Recorder(rundir, project).finished(record)
    return record


def start_run(
    graph_path: Path, opts: RunOptions, run_id: str | None = None, logs_root: Path | None = None
) -> FinalRecord:
    run_id = check_run_id(run_id) if run_id else new_run_id(opts.clock.now())
    root = prepare_logs_root(logs_root if logs_root is not None else opts.runs_dir / run_id)
    rundir = RunDir(root, run_id, opts.clock)
    with RunLock(rundir.lock_file):
        started = iso(opts.clock.now())
        atomic_write_text(rundir.pid_file, f"{os.getpid()}\n")
        graph_file = graph_path.expanduser().absolute()
        # recorded: a resume names its branches as the start did, whatever the setting
        # says by then
        prefix = str(opts.settings()["run_branch_prefix"])
        atomic_write_json(
            rundir.manifest,
            {
                "run_id": run_id,
                "graph": str(graph_file),
                "logs_root": str(root),
                "workspace": str(opts.workspace.absolute()),
                "started_at": started,
                "pid": os.getpid(),
                "run_branch_prefix": prefix,
            },
        )
        try:
            text, graph = read_graph(graph_file)
        except BosunError as exc:
            _early_final(rundir, opts.project, f"validation: {exc.message}", started, opts.clock)
            raise RunRefused(exc.message, exc.hint) from exc
        atomic_write_text(rundir.graph_copy, text)
        manifest = json.loads(rundir.manifest.read_text(encoding="utf-8"))
        manifest["models"] = resolved_models(graph)
        atomic_write_json(rundir.manifest, manifest)
        problems = errors(validate(graph))
        if problems:
            summary = "; ".join(f"[{d.rule}] {d.message}" for d in problems[:5])
            _early_final(
                rundir,
                opts.project,
                f"validation: {len(problems)} error(s): {summary}",
                started,
                opts.clock,
            )
            raise RunRefused(
                f"graph has {len(problems)} validation error(s): {summary}",
                f"run `bosun run validate {graph_path}` for the fixes",
            )
        try:
            graph = apply_prompt_files(graph)
            settings = opts.settings()
            report = run_preflight(graph, settings, opts.project_home, opts.strict_models)
            atomic_write_json(rundir.preflight_report, report.to_json())
            if not report.ok:
                _early_final(rundir, opts.project, report.failure, started, opts.clock)
                raise RunRefused(report.failure, "fix llm_provider/llm_model or the catalog")
            git, worktree, workdir = _git_setup(opts, rundir, run_id, prefix)
            state = RunState(
                run_id=run_id,
                next_node=graph.start_nodes[0].id,
                logs_root=str(root),
                base_logs_root=str(root),
                started_at=started,
            )
            state.context = {**graph.graph_context(), "run_id": run_id, "completed_nodes": []}
            if git is not None:
                state.git_commit_sha = state.context["base_sha"] = git.head(worktree)
        except RunRefused:
            raise
        except BosunError as exc:
            _early_final(rundir, opts.project, f"setup: {exc.message}", started, opts.clock)
            raise
        except Exception as exc:  # every exit path ends in final.json
            reason = f"setup: {type(exc).__name__}: {exc}"
            _early_final(rundir, opts.project, reason, started, opts.clock)
            raise
        engine = Engine(
            _env(opts, run_id, graph, git, prefix),
            rundir,
            state,
            workdir,
            opts.cancel,
            opts.keep_worktree,
            worktree,
        )
        return engine.run()


def _git_setup(
    opts: RunOptions, rundir: RunDir, run_id: str, prefix: str
) -> tuple[GitRun | None, Path | None, Path]:
    workspace = opts.workspace.absolute()
    repo = repo_root(workspace) if opts.use_git else None
    if repo is None:
        return None, None, workspace
    git = GitRun(repo)
    branch = run_branch(prefix, run_id)
    git.add_worktree(branch, rundir.worktree, "HEAD")
    atomic_write_json(
        rundir.base / "git.json",
        {"repo": str(repo), "branch": branch, "worktree": str(rundir.worktree)},
    )
    relative = workspace.resolve().relative_to(repo.resolve())
    return git, rundir.worktree, rundir.worktree / relative


def open_run_dir(logs_root: Path) -> RunDir:
    """An existing run directory (it must have a manifest.json)."""
    root = logs_root.expanduser().absolute()
    if not root.is_dir() or not (root / "manifest.json").is_file():
        raise NotFound(
            f"{root} is not a run directory (no manifest.json)",
            "pass the --logs-root of a run; see `bosun run list`",
        )
    try:
        run_id = str(json.loads((root / "manifest.json").read_text())["run_id"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(
            f"{root}/manifest.json is not a run manifest", "this directory cannot be resumed"
        ) from exc
    return RunDir(root, run_id)


def resume_run(logs_root: Path, opts: RunOptions) -> FinalRecord:
    base = open_run_dir(logs_root)
    base.clock = opts.clock
    with RunLock(base.lock_file):
        previous = read_final(base.base)
        if previous and previous.get("status") == FinalStatus.SUCCESS.value:
            raise InvalidInput(f"run {base.run_id} already succeeded", "nothing to resume")
        started = iso(opts.clock.now())
        try:
            manifest = base.read_manifest()
            for key in ("logs_root", "workspace", "graph"):
                if not Path(str(manifest.get(key, ""))).is_absolute():
                    raise InvalidInput(
                        f"manifest {key} {manifest.get(key)!r} is relative",
                        "state roots must be absolute; start a new run",
                    )
            if Path(manifest["logs_root"]) != base.base:
                raise InvalidInput(
                    f"manifest logs_root {manifest['logs_root']} is not {base.base}",
                    "resume the directory the run was started in",
                )
            text, graph = read_graph(base.graph_copy)
            graph = dataclasses.replace(graph, source=str(manifest["graph"]))
            problems = errors(validate(graph))
            if problems:
                raise InvalidInput(
                    f"graph.dot has {len(problems)} validation error(s)",
                    "the run's graph copy was changed",
                )
            try:
                state = RunState.from_json(base.read_checkpoint())
            except (KeyError, TypeError) as exc:
                raise InvalidInput(
                    f"{base.checkpoint} is not a checkpoint ({exc})", "start the run again"
                ) from exc
            for key in ("logs_root", "base_logs_root"):
                if not Path(getattr(state, key) or "/").is_absolute():
                    raise InvalidInput(
                        f"checkpoint {key} {getattr(state, key)!r} is relative",
                        "state roots must be absolute; start a new run",
                    )
            if state.next_node is not None and state.next_node not in graph.nodes:
                raise InvalidInput(
                    f"checkpoint next node {state.next_node!r} is not in the graph",
                    "the run's graph copy was changed",
                )
            graph = apply_prompt_files(graph)
            if previous is not None:
                os.replace(base.base / "final.json", base.base / "final.previous.json")
            rundir = base
            if state.logs_root and Path(state.logs_root) != base.base:
                rundir = RunDir(Path(state.logs_root), base.run_id, opts.clock, base.base)
            atomic_write_text(base.pid_file, f"{os.getpid()}\n")
            # an orphaned tool of the killed run must be gone before the worktree is touched
            killed = kill_recorded_groups(base.base)
            if killed:
                base.event("orphan_tools_killed", pgids=killed)
            git, worktree, workdir = _git_resume(opts, base, manifest, state)
        except BosunError as exc:
            _early_final(base, opts.project, f"resume: {exc.message}", started, opts.clock)
            raise
        except Exception as exc:  # every exit path ends in final.json
            reason = f"resume: {type(exc).__name__}: {exc}"
            _early_final(base, opts.project, reason, started, opts.clock)
            raise
        prefix = recorded_branch_prefix(base, manifest) or str(opts.settings()["run_branch_prefix"])
        engine = Engine(
            _env(opts, base.run_id, graph, git, prefix),
            rundir,
            state,
            workdir,
            opts.cancel,
            opts.keep_worktree,
            worktree,
        )
        return engine.run(resumed=True)


def recorded_branch_prefix(base: RunDir, manifest: dict[str, Any]) -> str:
    """The branch prefix the run started with: the manifest's record, else (a run started
    before bosun recorded it) what its run branch in git.json shows; "" when neither says."""
    recorded = manifest.get("run_branch_prefix")
    if isinstance(recorded, str) and recorded.strip():
        return recorded
    try:
        branch = str(json.loads((base.base / "git.json").read_text())["branch"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    suffix = f"/{base.run_id}"
    return branch[: -len(suffix)] if branch.endswith(suffix) else ""


def _git_resume(
    opts: RunOptions, base: RunDir, manifest: dict[str, Any], state: RunState
) -> tuple[GitRun | None, Path | None, Path]:
    workspace = Path(manifest["workspace"])
    info_file = base.base / "git.json"
    if not info_file.exists():
        return None, None, workspace

    try:
        info = json.loads(info_file.read_text())
        git = GitRun(Path(info["repo"]))
        worktree = Path(info["worktree"])
        branch = str(info["branch"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(
            f"{info_file} is unreadable or half-written ({exc})",
            "the run's git state is lost; start the run again",
        ) from exc
    if not worktree.exists():
        git.attach_worktree(branch, worktree)
    if state.git_commit_sha:
        saved = git.reset_to(worktree, state.git_commit_sha, f"{base.run_id}")
        if saved:
            base.event("git_rescue_saved", refs=saved)
    relative = workspace.resolve().relative_to(Path(info["repo"]).resolve())
    return git, worktree, worktree / relative
