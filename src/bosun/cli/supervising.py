"""The interface composes the supervisor: it builds the loops the supervisor hosts (merge
queue, trigger worker, sentinel patrol, notifier) and gathers and renders `bosun status`.

The supervisor engine imports no other engine; this module is where they meet. Engine
modules are imported inside the functions that use them: `bosun.cli.commands.*` are all
imported for every `bosun` call an agent makes, and must stay light (CLI start-up time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bosun.cli.common import ago, paint, paint_word, table, terminal_width

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.supervisor.background import BackgroundLoop, Worker

logger = logging.getLogger("bosun.supervisor")


def engine_loops(ctx: Context, *, merge_queue: bool) -> list[BackgroundLoop]:
    """The engines that run beside the supervisor's tick when they are switched on: the
    merge queue, the trigger workers and the action-claim sentinel."""
    # Lazy: engine imports cost CLI start-up time (see the module docstring).
    from bosun.notify import notify_enabled
    from bosun.sentinel import sentinel_enabled
    from bosun.supervisor.background import StepLoop, WorkerLoop  # lazy: CLI start-up time

    loops: list[BackgroundLoop] = []
    if merge_queue:
        loops.append(StepLoop("merge_queue", _merge_queue_step, every=1.0))
    if ctx.config.flag("triggers.enabled"):
        loops.append(WorkerLoop("trigger_workers", _trigger_worker, "trigger-worker"))
    if sentinel_enabled(ctx.config):
        loops.append(StepLoop("sentinel", _sentinel_step))
    if notify_enabled(ctx.config):
        loops.append(StepLoop("notifier", _notifier_step(), every=1.0))
    return loops


def _merge_queue_step(ctx: Context) -> object:
    from bosun.mergequeue.processor import process  # lazy: CLI start-up time

    return process(ctx, None, until_empty=True)


def _sentinel_step(ctx: Context) -> object:
    """Follow every open commitment through and type the nudges (`[sentinel] enabled`)."""
    from bosun.sentinel.service import Sentinel  # lazy: CLI start-up time

    return Sentinel(ctx).patrol()


def _notifier_step() -> Callable[[Context], object]:
    """Follow the event log and run `[notify]`'s command and webhook for alerts."""
    from bosun.notify.engine import NotifyStep  # lazy: CLI start-up time

    return NotifyStep()


def _trigger_worker(ctx: Context) -> Worker:
    # lazy: CLI start-up time
    from bosun.agents.driver import project_fleet
    from bosun.triggers.engine import build_worker
    from bosun.triggers.fleet_seams import fleet_seams  # lazy: CLI start-up time

    seams = fleet_seams(project_fleet(ctx)) if ctx.paths is not None else None
    return build_worker(ctx, seams, log=lambda line: logger.info("triggers: %s", line))


def fleet_status(ctx: Context) -> dict[str, Any]:
    """`bosun status`: the supervisor's view plus the merge queue's counts."""
    # lazy: CLI start-up time
    from bosun.mergequeue.checkouts import checkout_attention
    from bosun.mergequeue.queue import MergeQueue
    from bosun.mergequeue.review import awaiting_attention
    from bosun.mergequeue.untested import untested_warning
    from bosun.supervisor.status import build_status  # lazy: CLI start-up time

    counts: dict[str, int] = {}
    for request in MergeQueue(ctx).list(include_finished=True):
        state = str(getattr(request, "state", getattr(request, "status", "?")))
        counts[state] = counts.get(state, 0) + 1
    data = build_status(ctx, merge_queue=counts)
    data["waiting_gates"] = waiting_gates(ctx)
    data["attention"] += checkout_attention(ctx)
    data["attention"] += awaiting_attention(ctx)
    # a standing configuration choice, not trouble: shown, but `status --check` ignores it
    data["warnings"] = [w for w in [untested_warning(ctx)] if w]
    data["attention"] += [
        f"run {g['run_id']} waits for a person at {g['node_id']}: {g.get('question') or '?'}"
        f" ({', '.join(map(str, g.get('choices') or []))}) — answer with"
        f" `bosun run answer {g['run_id']} {g['node_id']} CHOICE`"
        for g in data["waiting_gates"]
    ]
    return data


def waiting_gates(ctx: Context) -> list[dict[str, Any]]:
    """Every pipeline run that waits at a human gate, with its question and choices."""
    from bosun.pipeline.runs import list_runs  # lazy: CLI start-up time

    if ctx.paths is None:
        return []
    return [
        {"run_id": run["run_id"], **run["waiting_for_human"]}
        for run in list_runs(ctx.paths.runs, ctx)
        if run.get("waiting_for_human")
    ]


def render_status(data: dict[str, Any]) -> str:
    sup = data["supervisor"]
    lines = [
        f"supervisor: pid {sup['pid']} on {sup['host']}, since {sup['started_at']}"
        if sup
        else "supervisor: not running",
        "",
        table(
            (
                (
                    a["identity"] + (" (crew)" if a["crew"] else ""),
                    paint_word(a["status"]),
                    paint_word(a["state"]),
                    a["phase"] or "-",
                    f"{a['context_pct']:.0f}%" if a["context_pct"] is not None else "-",
                    a["incarnation"],
                    ago(a["last_seen_age_s"]),
                )
                for a in data["agents"]
            ),
            ("AGENT", "STATUS", "SCREEN", "PHASE", "CTX", "INC", "SEEN"),
            drop=("INC", "CTX", "PHASE"),
            width=terminal_width(),
        ),
        "",
        "work: " + (", ".join(f"{k} {v}" for k, v in sorted(data["work"].items())) or "none"),
        "merge queue: "
        + (", ".join(f"{k} {v}" for k, v in sorted(data["merge_queue"].items())) or "empty"),
        "resume queue: "
        + (
            ", ".join(f"{k} {v}" for k, v in sorted(data["resume_queue"]["counts"].items()))
            or "empty"
        ),
        "guards: " + ", ".join(f"{g['guard']} {g['posture']}" for g in data["guards"]),
    ]
    if data["attention"]:
        lines += ["", *(paint(f"ATTENTION: {line}", "red") for line in data["attention"])]
    if data.get("warnings"):
        lines += ["", *(paint(f"WARNING: {line}", "yellow") for line in data["warnings"])]
    return "\n".join(lines)
