"""`bosun guards`: every guard, its configured state, its runtime self-report and its posture."""

from __future__ import annotations

from typing import Any

import typer

from bosun.cli.common import JSON, age, output, project, table


def guards(
    check: bool = typer.Option(
        False, "--check", help="Exit 1 when any guard needs attention (for scripts and CI)."
    ),
    as_json: bool = JSON,
) -> None:
    """List every guard with its posture: on-confirmed, on-stale, on-dry-run, off,
    off-runtime-divergent or errored."""
    # Lazy: CLI start-up time (every `bosun` call imports this module).
    from bosun.supervisor.guards import guard_posture, row_json
    from bosun.supervisor.policies.posture import attention_line

    ctx = project()
    with ctx.store.transaction(write=False) as tx:
        rows = guard_posture(tx, ctx.config, tx.now)
        now = tx.now
    attention = attention_line(rows)
    data = {"guards": [row_json(r, now) for r in rows], "attention": attention}

    def render(value: dict[str, Any]) -> str:
        lines = [
            table(
                (
                    (
                        g["guard"],
                        g["host"] or "-",
                        g["posture"],
                        "on" if g["configured"]["enabled"] else "off",
                        "-" if g["runtime"] is None else age(g["runtime"]["last_tick_age_s"]),
                        g["reason"] + (f" [{g['note']}]" if g["note"] else ""),
                    )
                    for g in value["guards"]
                ),
                ("GUARD", "HOST", "POSTURE", "CONFIG", "TICK", "WHY"),
            )
        ]
        if value["attention"]:
            lines.append("")
            lines.append("attention: " + value["attention"])
        return "\n".join(lines)

    output(data, as_json, render)
    if check and attention:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.command("guards")(guards)
