"""Issue 17, end to end: every failing agent reaches a recorded, visible end, and work items
and hooks agree — sim agents in real tmux (the test's own socket), `bosun supervise` as a
real process, a real git repository and SQLite store (the supervisor tests' rig, suprig.py).

Timings are scaled down through `BOSUN_*` settings (the rig's FAST set plus each test's
own), so each test takes seconds; every wait is on a condition with a timeout.

Run alone: `pytest tests/e2e/test_supervision_holds.py -v`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "supervisor"))

from suprig import Rig, open_rig  # noqa: E402

from waiting import wait_for  # noqa: E402

pytestmark = [pytest.mark.tmux, pytest.mark.slow]

HUNG = "polecat/hung"


@pytest.fixture
def rig(project: Path, tmux_socket: str) -> Iterator[Rig]:
    """The supervisor rig (see suprig.py), torn down even when the test fails."""
    with open_rig(project, tmux_socket) as rig:
        yield rig


# -- helpers ------------------------------------------------------------------------------


def attempts(rig: Rig, name: str, role: str = "polecat") -> list[dict[str, Any]]:
    with rig.ctx.store.transaction(write=False) as tx:
        rows = tx.all("recovery_attempts_for", role=role, name=name, since=0)
    return [dict(r) for r in rows]


def supervise(rig: Rig, env: dict[str, str] | None = None) -> None:
    """`bosun supervise` with every guard it runs (the merge queue too, else its guard is
    divergent), and a clean `status --check` before anything fails: a later exit 1 is the
    failure's doing."""
    rig.supervise(env=env, merge_queue=True)
    wait_for(lambda: status_check(rig).returncode == 0, timeout=20, what="a clean status")


def agent_row(rig: Rig, name: str) -> dict[str, Any]:
    [row] = [a for a in rig.ok("agent", "list") if a["name"] == name]
    return dict(row)


def agent_status(rig: Rig, name: str) -> str:
    return str(agent_row(rig, name)["status"])


def status_check(rig: Rig) -> Any:
    """`bosun status --check`: exit 1 when anything needs attention."""
    return rig.run("status", "--check")


def at_a_visible_end(rig: Rig, name: str) -> str | None:
    status = agent_status(rig, name)
    return status if status in ("escalated", "quarantined") else None


# -- item 1: a repeating stall escalates --------------------------------------------------


def test_a_stall_that_repeats_in_every_incarnation_ends_escalated_not_cycling(rig: Rig) -> None:
    """Item 1: an agent that hangs (busy, nothing moves) in every incarnation. A restart's
    new session showing signs of life is no success; restarts without progress on the
    hook count towards the limit; the identity ends escalated or quarantined, visibly."""
    work_id = rig.work(
        "Hang task",
        [{"phase": "executing"}, {"work": 0.3}, {"say": "never reached"}, {"work": 30}],
        faults={"hang_at_step": 3},  # no `once`: every incarnation hangs again
    )
    supervise(
        rig,
        {
            "BOSUN_SUPERVISOR_RECOVERY_VERIFY_WITHIN": "4",
            "BOSUN_SUPERVISOR_RECOVERY_MAX_RESTARTS": "2",
        },
    )
    rig.spawn("hung", work_id)

    end = wait_for(lambda: at_a_visible_end(rig, "hung"), timeout=90, what="escalated")
    row = agent_row(rig, "hung")
    assert row["escalation"], row
    check = status_check(rig)
    assert check.returncode == 1, check.stdout
    assert f"{end}: {HUNG}" in check.stdout, check.stdout

    rows = attempts(rig, "hung")
    restarts = [a for a in rows if a["strategy"] in ("seance_restart", "context_cycle")]
    assert restarts, rows
    # a restart is judged on progress after its new session started, never on start-up
    assert all(a["outcome"] == "failure" for a in restarts), rows
    assert rig.session("hung").incarnation <= 3  # bounded: max_restarts + 1
    assert rig.events("supervisor.escalated", HUNG)
    assert "● never reached" not in rig.transcript("hung")
    assert rig.hook("hung").work_id == work_id  # the work stays on its hook


# -- item 2: an ignored patrol nudge has consequences -------------------------------------


def test_an_agent_that_ignores_patrol_nudges_goes_stale_and_is_not_nudged_for_ever(
    rig: Rig,
) -> None:
    """Item 2: an idle agent with work on its hook that ignores every nudge. The nudges'
    echoes do not reset its stale clock, each ignored nudge is a failed rung of the ladder
    (so the ladder does not nudge again), nudges back off, and an idle agent with nothing
    on its hook is never nudged."""
    work_id = rig.work("Deaf task", [{"phase": "executing"}, {"work": 0.2}])
    supervise(
        rig,
        {
            "BOSUN_IDENTITY_STALE_AFTER": "6",
            "BOSUN_SUPERVISOR_PATROL_INTERVAL": "1",
            "BOSUN_SUPERVISOR_PATROL_MAX_INTERVAL": "4",
            "BOSUN_SUPERVISOR_PATROL_COMPLIANCE_WINDOW": "1",
        },
    )
    rig.spawn("idler")  # nothing on its hook: silent by design
    # This session ignores every prompt, from the first (its successors do not).
    deaf_env = {"BOSUN_SIM_FAULTS": json.dumps({"ignore_nudges": True})}
    rig.ok("agent", "spawn", "deaf", "--role", "polecat", "--runtime", "sim", env=deaf_env)
    rig.ok("hook", "pin", "polecat", "deaf", work_id)
    rig.ok("agent", "send", "polecat/deaf", "start your hook")
    deaf = "polecat/deaf"

    [stale] = wait_for(
        lambda: rig.events("supervisor.stale_detected", deaf), timeout=40, what="stale"
    )

    def ladder_rung() -> list[Any]:
        started = rig.events("supervisor.recovery_started", deaf, since=stale.id)
        return [e for e in started if "patrol_nudge" not in (e.data.get("evidence") or {})][:1]

    [first] = wait_for(ladder_rung, what="the ladder's first rung for stale")
    nudged = rig.events("supervisor.patrol_nudged", deaf)
    # nudges typed while it was quiet did not reset the clock: their echo is not activity
    quiet_since = stale.ts - stale.data["quiet_for_s"]
    assert [n for n in nudged if quiet_since < n.ts < stale.ts], (stale.data, nudged)
    # each ignored nudge counts on the ladder, so the ladder does not nudge once more
    ignored = [a for a in attempts(rig, "deaf") if (a["detail"] or "").startswith("patrol nudge")]
    assert ignored and all(a["strategy"] == "nudge" for a in ignored)
    assert all(a["outcome"] == "failure" and a["condition"] == "stale" for a in ignored)
    assert rig.events("supervisor.patrol_ignored", deaf)
    assert first.data["condition"] == "stale" and first.data["strategy"] != "nudge", first.data
    # nudges back off: each one since the hook last moved (its pin) doubles the interval
    times = [n.ts for n in nudged if n.ts <= first.ts]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) >= 2 and gaps[0] >= 1.8, times  # interval 1 s, doubled once
    # the restarted session works its hook: recovered, not nudged for ever
    wait_for(lambda: rig.events("supervisor.recovery_success", deaf), timeout=30, what="recovered")
    assert rig.session("deaf").incarnation == 2
    # an idle agent with nothing on its hook is neither nudged nor stale
    assert rig.events("supervisor.patrol_nudged", "polecat/idler") == []
    assert rig.events("supervisor.stale_detected", "polecat/idler") == []
    assert rig.hook("deaf").work_id == work_id


# -- item 3: escalated and quarantined identities show so ---------------------------------


def test_an_escalated_identity_shows_as_escalated_and_fails_the_status_check(rig: Rig) -> None:
    """Item 3: a permission prompt nobody answers walks the waiting ladder to its end. The
    identity shows `escalated` (with the reason) in `agent list` and `bosun status`, and
    `status --check` exits 1 — until a person acks the ESCALATION."""
    work_id = rig.work("Ask task", [{"phase": "executing"}, {"permission": "deploy to production"}])
    supervise(rig)
    rig.spawn("asker", work_id)

    wait_for(lambda: agent_status(rig, "asker") == "escalated", timeout=40, what="escalated")
    row = agent_row(rig, "asker")
    assert "waiting" in row["escalation"], row
    assert rig.session("asker").live  # escalation leaves the session for a person to see
    status = rig.ok("status")
    assert any(line.startswith("escalated: polecat/asker") for line in status["attention"])
    check = status_check(rig)
    assert check.returncode == 1
    assert "escalated: polecat/asker" in check.stdout

    [signal] = [
        s
        for s in rig.ok(
            "signal", "list", "--for", "bosun/operator", "--unread", "--type", "ESCALATION"
        )
        if s["payload"]["identity"] == "polecat/asker"
    ]
    rig.ok("signal", "ack", signal["id"])
    assert agent_status(rig, "asker") == "active"  # a person has it now


def test_an_identity_at_the_revival_cap_is_quarantined_not_left_active(rig: Rig) -> None:
    """Item 3: an agent that exits cleanly mid-work again and again. Revived up to
    `resume.max_resurrections` times, then quarantined: `agent list` and `bosun status`
    say so, and `status --check` exits 1 — never `active` with no session."""
    work_id = rig.work("Quitter task")  # no task script: it waits at its prompt
    supervise(
        rig,
        {
            "BOSUN_SUPERVISOR_RESUME_MAX_RESURRECTIONS": "1",
            "BOSUN_IDENTITY_STALE_AFTER": "120",
        },
    )
    rig.spawn("quitter", work_id)
    rig.ok("agent", "send", "quitter", "/exit")
    rig.incarnation_ready("quitter", 2)  # revived from the resume queue
    rig.ok("agent", "send", "quitter", "/exit")

    wait_for(lambda: agent_status(rig, "quitter") == "quarantined", timeout=30, what="quarantine")
    assert not rig.session("quitter").live and rig.session("quitter").incarnation == 2
    [quarantined] = rig.events("supervisor.quarantined", "polecat/quitter")
    assert "at the revival cap" in quarantined.data["reason"]
    status = rig.ok("status")
    assert any("quarantined: polecat/quitter" in line for line in status["attention"])
    assert status_check(rig).returncode == 1
    assert rig.hook("quitter").work_id == work_id  # the work waits on its hook


# -- item 4: a restarted session that dies at once ----------------------------------------


def test_a_restarted_session_that_dies_at_once_is_reported_as_died(rig: Rig) -> None:
    """Item 4: an agent that crashes as soon as it starts, in every incarnation. Each failed
    restart says the session died (and how), not "no progress within verify_within"; the
    crash loop ends quarantined or escalated."""
    work_id = rig.work(
        "Brittle task",
        [{"phase": "executing"}, {"work": 5}],
        faults={"crash_at_step": 2, "exit_code": 7},  # every incarnation, at once
    )
    # verify_within far beyond the test's waits: a failure seen in time can only be a death
    supervise(rig, {"BOSUN_SUPERVISOR_RECOVERY_VERIFY_WITHIN": "300"})
    rig.spawn("brittle", work_id)

    def died() -> list[dict[str, Any]]:
        rows = attempts(rig, "brittle")
        return [a for a in rows if a["strategy"] == "seance_restart" and a["outcome"] != "pending"]

    failed = wait_for(lambda: len(died()) >= 2 and died(), timeout=60, what="two restarts")
    for attempt in failed:
        assert attempt["outcome"] == "failure", attempt
        assert attempt["detail"].startswith("session died"), attempt["detail"]
        assert "no progress" not in attempt["detail"]
    assert any("exit code 7" in a["detail"] or "exit 7" in a["detail"] for a in failed), failed
    events = rig.events("supervisor.recovery_failure", "polecat/brittle")
    assert events and all(e.data["detail"].startswith("session died") for e in events)
    wait_for(lambda: at_a_visible_end(rig, "brittle"), timeout=60, what="the crash loop's end")
    assert status_check(rig).returncode == 1


# -- item 14: the work item and the hook agree --------------------------------------------


def test_work_item_and_hook_move_together_whichever_side_moves(rig: Rig) -> None:
    """Item 14, with sim agents working their hooks: `work update` moves the hook, a
    released hook returns its in-progress work to `work ready`, and a hook moved to
    `merged` by hand merges its work item."""
    from bosun.core.agreement import disagreements

    busy = rig.work("Long task", [{"phase": "executing"}, {"work": 60}])
    done = rig.work(
        "Short task",
        [
            {"phase": "executing"},
            {"write": {"path": "short.txt", "content": "short\n"}},
            {"commit": "add short.txt"},
            {"phase": "impl_complete"},
        ],
    )
    rig.spawn("toast", busy)
    rig.spawn("crumb", done)

    def phase(name: str) -> str:
        return str(rig.ok("hook", "show", f"polecat/{name}")["phase"])

    def work_status(work_id: str) -> str:
        return str(rig.ok("work", "show", work_id)["status"])

    def ready() -> list[str]:
        return [w["id"] for w in rig.ok("work", "ready")]

    wait_for(lambda: phase("toast") == "executing", timeout=30, what="toast executing")
    assert work_status(busy) == "in_progress" and busy not in ready()

    # the work item moves first: its hook follows
    rig.ok("work", "update", busy, "--status", "impl_complete")
    assert phase("toast") == "impl_complete"
    rig.ok("work", "update", busy, "--status", "in_progress")
    assert phase("toast") == "executing"

    # a released hook gives its in-progress work back to `work ready`
    rig.ok("hook", "release", "polecat/toast")
    assert phase("toast") == "released"
    assert work_status(busy) == "open" and busy in ready()

    # a hook moved to merged by hand merges its work item
    wait_for(lambda: phase("crumb") == "impl_complete", timeout=30, what="crumb done")
    assert work_status(done) == "impl_complete"
    rig.ok("hook", "update-phase", "polecat/crumb", "validating")  # a person checks it
    assert work_status(done) == "impl_complete"
    rig.ok("hook", "update-phase", "polecat/crumb", "merged")  # and lands it by hand
    assert work_status(done) == "merged" and done not in ready()

    assert disagreements(rig.ctx) == []


# -- item 17: an open resume breaker is loud ----------------------------------------------


def test_an_open_resume_breaker_shows_as_tripped_in_guards_and_status(rig: Rig) -> None:
    """Item 17: an agent that exits mid-work and whose CLI then fails to start: every
    revival fails, the resume queue's breaker opens, and `bosun guards` and `bosun status`
    show it as tripped (both `--check`s exit 1), not `on-confirmed`."""
    work_id = rig.work("Revive task")  # no task script: it waits at its prompt
    supervise(
        rig,
        {
            "BOSUN_SUPERVISOR_RESUME_RETRY_BACKOFF": "0.2",
            "BOSUN_SUPERVISOR_RESUME_MAX_ATTEMPTS": "5",
            "BOSUN_SUPERVISOR_RESUME_BREAKER_THRESHOLD": "3",
            "BOSUN_IDENTITY_STALE_AFTER": "120",
        },
    )
    rig.spawn("phoenix", work_id)
    guard = wait_for(lambda: resume_guard(rig)["posture"] == "on-confirmed" and resume_guard(rig))
    assert guard["posture"] == "on-confirmed"
    # the agent's CLI breaks (a bad upgrade): it exits at once, before its ready screen
    runtimes = rig.root / ".bosun" / "runtimes"
    runtimes.mkdir(parents=True, exist_ok=True)
    (runtimes / "sim.toml").write_text('argv = ["/bin/sh", "-c", "exit 5"]\n')
    rig.ok("agent", "send", "phoenix", "/exit")

    failures = wait_for(
        lambda: (
            len(rig.events("resume.attempt_failed", "polecat/phoenix")) >= 3
            and rig.events("resume.attempt_failed", "polecat/phoenix")
        ),
        timeout=40,
        what="three failed revivals",
    )
    assert all("exit" in e.data["error"] for e in failures), [e.data for e in failures]
    guard = wait_for(
        lambda: resume_guard(rig)["posture"] == "tripped" and resume_guard(rig),
        timeout=20,
        what="the breaker's posture",
    )
    assert "breaker OPEN" in json.dumps(guard), guard
    assert rig.run("guards", "--check").returncode == 1
    guards_text = rig.run("guards").stdout
    assert "tripped" in guards_text and "on-confirmed" not in line_of(guards_text, "resume_queue")
    check = status_check(rig)
    assert check.returncode == 1
    assert "breaker OPEN" in check.stdout, check.stdout
    # no revival while it is open: the entry waits
    count = len(rig.events("resume.starting", "polecat/phoenix"))
    assert count == len(failures)


def resume_guard(rig: Rig) -> dict[str, Any]:
    [row] = [g for g in rig.ok("guards")["guards"] if g["guard"] == "resume_queue"]
    return dict(row)


def line_of(text: str, word: str) -> str:
    return next((line for line in text.splitlines() if word in line), "")
