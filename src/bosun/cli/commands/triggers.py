"""`bosun trigger …` wakes a thread participant; `bosun triggers …` runs and inspects the queue."""

from __future__ import annotations

import sys
from typing import Any

import typer

from bosun.base.errors import InvalidInput
from bosun.base.names import split_identity
from bosun.cli.common import JSON, age, output, project, self_identity, table

app = typer.Typer(help="The trigger job queue: list, requeue, work, blocks.", no_args_is_help=True)


def _caller(value: str | None) -> str | None:
    if value is not None:
        role, name = split_identity(value)
        return f"{role}/{name}"
    me = self_identity()
    return f"{me[0]}/{me[1]}" if me else None


def trigger(
    participant: str = typer.Argument(..., help="The participant to wake (ROLE/NAME)."),
    thread: str = typer.Option(..., "--thread", "-t", help="The thread it should look at."),
    reason: str = typer.Option(None, "--reason", help="Why; shown to the participant."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Skip the collision, rate and loop safeguards (needs --why; audited).",
    ),
    why: str = typer.Option(None, "--why", help="The reason for --force, recorded."),
    as_: str = typer.Option(
        None,
        "--as",
        help="Trigger as this participant (default: $BOSUN_IDENTITY, else the operator).",
    ),
    as_json: bool = JSON,
) -> None:
    """Ask bosun to wake PARTICIPANT about THREAD (idempotent while a job is pending)."""
    # lazy: CLI start-up time
    from bosun.triggers.trigger import raise_if_rejected, trigger_participant

    envelope = trigger_participant(
        project(),
        target=participant,
        thread_id=thread,
        caller=_caller(as_),
        reason=reason,
        force=force,
        why=why,
    )
    raise_if_rejected(envelope)
    output(
        envelope,
        as_json,
        f"{envelope.action}: {envelope.reason} (job {envelope.job_id}, trace {envelope.trace_id})",
    )


def _jobs_table(jobs: list[Any]) -> str:
    now = project().clock.now()
    return table(
        (
            (
                j.id,
                j.state,
                j.target,
                j.thread_id,
                j.attempts,
                j.hop or "-",
                j.last_reason or "-",
                age(now - j.created_at),
            )
            for j in jobs
        ),
        ("JOB", "STATE", "TARGET", "THREAD", "TRIES", "HOP", "LAST", "AGE"),
    )


@app.command("list")
def list_(
    dead: bool = typer.Option(False, "--dead", help="Only dead jobs (attempts used up)."),
    state: str = typer.Option(None, "--state", help="Only jobs in this state."),
    limit: int = typer.Option(100, "--limit", min=1, max=10000),
    as_json: bool = JSON,
) -> None:
    """List trigger jobs, newest first."""
    from bosun.triggers.jobs import JobState  # lazy: CLI start-up time
    from bosun.triggers.trigger import queue_for  # lazy: CLI start-up time

    wanted: JobState | None = JobState.DEAD if dead else None
    if state is not None:
        try:
            wanted = JobState(state)
        except ValueError:
            raise InvalidInput(
                f"unknown job state {state!r}",
                "use one of: " + ", ".join(s.value for s in JobState),
            ) from None
    output(queue_for(project()).list(wanted, limit), as_json, _jobs_table)


@app.command("show")
def show(job_id: str, as_json: bool = JSON) -> None:
    """Show a job and every attempt (hop, outcome, reason)."""
    from bosun.triggers.trigger import queue_for  # lazy: CLI start-up time

    queue = queue_for(project())
    job = queue.get(job_id)
    attempts = queue.attempts(job.id)
    data = {"job": job.to_json(), "attempts": [a.to_json() for a in attempts]}
    lines = [f"{k}: {'' if v is None else v}" for k, v in sorted(job.to_json().items())]
    lines += [
        "",
        table(
            ((a.attempt, a.hop, a.outcome, a.reason, a.detail or "") for a in attempts),
            ("TRY", "HOP", "OUTCOME", "REASON", "DETAIL"),
        ),
    ]
    output(data, as_json, "\n".join(lines))


@app.command("requeue")
def requeue(job_id: str, as_json: bool = JSON) -> None:
    """Put a dead, escalated, blocked or cancelled job back in the queue."""
    from bosun.core.threads import operator_ref  # lazy: CLI start-up time
    from bosun.triggers.trigger import queue_for  # lazy: CLI start-up time

    job = queue_for(project()).requeue(job_id, _caller(None) or operator_ref())
    output(job, as_json, f"{job.id} requeued")


@app.command("blocked")
def blocked(as_json: bool = JSON) -> None:
    """List thread/participant pairs blocked by a loop safeguard."""
    from bosun.triggers.trigger import list_blocked  # lazy: CLI start-up time

    output(
        list_blocked(project()),
        as_json,
        lambda ps: table(
            (
                (
                    p.thread_id,
                    p.target,
                    p.state.blocked_reason,
                    p.state.turns,
                    p.state.same_findings,
                )
                for p in ps
            ),
            ("THREAD", "PARTICIPANT", "REASON", "IDLE TURNS", "SAME FINDINGS"),
        ),
    )


@app.command("unblock")
def unblock(
    participant: str,
    thread: str = typer.Option(..., "--thread", "-t", help="The thread of the blocked pair."),
    as_json: bool = JSON,
) -> None:
    """Unblock a thread/participant pair (its counters start afresh)."""
    from bosun.triggers.trigger import unblock as do_unblock  # lazy: CLI start-up time

    pair = do_unblock(project(), participant, thread, by=_caller(None))
    output(pair, as_json, f"{pair.target} unblocked in {pair.thread_id}")


@app.command("workers")
def workers(as_json: bool = JSON) -> None:
    """List trigger workers and their heartbeats."""
    from bosun.triggers.registry import WorkerRegistry  # lazy: CLI start-up time

    ctx = project()
    now = ctx.clock.now()
    found = WorkerRegistry(ctx.store).list()
    output(
        [w.to_json(now) for w in found],
        as_json,
        table(
            ((w.id, w.state, w.jobs_done, age(now - w.heartbeat_at)) for w in found),
            ("WORKER", "STATE", "JOBS", "HEARTBEAT"),
        ),
    )


@app.command("work")
def work(
    once: bool = typer.Option(False, "--once", help="Process what is due now, then exit."),
    max_jobs: int = typer.Option(None, "--max-jobs", min=1, help="Exit after this many jobs."),
    as_json: bool = JSON,
) -> None:
    """Run a trigger worker until SIGTERM (or, with --once, until the queue is drained)."""
    # imported in the command, not at the top: CLI start-up time
    from bosun.agents.driver import project_fleet
    from bosun.triggers.engine import build_worker
    from bosun.triggers.fleet_seams import fleet_seams  # lazy: CLI start-up time

    def log(line: str) -> None:
        sys.stderr.write(line + "\n")

    ctx = project()
    # the composition: the trigger engine reaches sessions through the project's fleet
    worker = build_worker(ctx, fleet_seams(project_fleet(ctx)), listen=not once, log=log)
    worker.install_signal_handlers()
    stats = worker.run(once=once, max_jobs=max_jobs)
    data = {
        "worker": stats.worker_id,
        "processed": stats.processed,
        "failed": stats.failed,
        "rescued": stats.rescued,
        "reconciled": stats.reconciled,
        "released": stats.released,
        "lost": stats.lost,
    }
    output(data, as_json, " ".join(f"{k}={v}" for k, v in data.items()))
    if stats.lost:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.command("trigger")(trigger)
    root.add_typer(app, name="triggers")
