"""`bosun sentinel …`: feed the action-claim sentinel and run its follow-through."""

from __future__ import annotations

import sys
from typing import Any

import typer

from bosun.base.errors import InvalidInput
from bosun.cli.common import JSON, output, project, self_identity

app = typer.Typer(
    help="The action-claim sentinel (off unless [sentinel] enabled = true).", no_args_is_help=True
)

MAX_INPUT = 4 * 1024 * 1024  # bytes of text accepted on standard input


def _read_text(text: str | None, source: str | None) -> str | bytes:
    if (text is None) == (source is None):
        raise InvalidInput(
            "give the text with --text TEXT or as - on standard input (one of them)",
            "e.g. bosun sentinel observe --identity polecat/toast --text 'Pushing it now.'",
        )
    if source is not None:
        if source != "-":
            raise InvalidInput(f"unexpected argument {source!r}", "use - to read standard input")
        data = sys.stdin.buffer.read(MAX_INPUT + 1)
        if len(data) > MAX_INPUT:
            raise InvalidInput(
                f"the text on standard input is over {MAX_INPUT} bytes",
                "pass only the agent's last message",
                code="too_large",
            )
        if not data.strip():
            raise InvalidInput("the text on standard input is empty", "pipe the agent's message")
        return data
    assert text is not None
    if not text.strip():
        raise InvalidInput("the text is empty", "give the agent's message with --text TEXT")
    return text


def _render_observation(result: Any) -> str:
    if not result.enabled:
        return "sentinel is off ([sentinel] enabled = false): nothing recorded"
    if result.action == "no_claim":
        return "no action claim: nothing recorded"
    if result.action == "capped":
        return (
            f"claim to {result.claim.verb} not recorded: {result.identity} already has "
            f"{result.open_count} open commitments on {result.topic}"
        )
    c = result.commitment
    return f"{c.id} {result.action}: {c.identity} will {c.verb} ({c.topic}) \u2014 '{c.claim}'"


@app.command("observe")
def observe(
    source: str = typer.Argument(None, metavar="[-]", help="- reads the text from standard input."),
    identity: str = typer.Option(None, "--identity", help="ROLE/NAME (default: $BOSUN_IDENTITY)."),
    topic: str = typer.Option(
        None, "--topic", help="Work item or thread (default: the hook's work item)."
    ),
    text: str = typer.Option(None, "--text", help="The agent's message."),
    as_json: bool = JSON,
) -> None:
    """Look for an action claim in an agent's message and open or update its commitment."""
    from bosun.sentinel.service import Sentinel  # lazy: CLI start-up time

    body = _read_text(text, source)
    if identity is None:
        me = self_identity()
        if me is None:
            raise InvalidInput(
                "no identity given", "pass --identity ROLE/NAME or set BOSUN_IDENTITY"
            )
        identity = "/".join(me)
    result = Sentinel(project()).observe(identity, body, topic)
    output(result, as_json, _render_observation)


def _render_check(report: Any) -> str:
    if not report.enabled:
        return "sentinel is off ([sentinel] enabled = false): nothing checked"
    lines = [f"{report.open_seen} open commitment(s) checked"]
    lines += [f"{o.commitment_id} {o.identity}: {o.action} ({o.reason})" for o in report.outcomes]
    lines += [f"nudge {n.identity}: {n.text}" for n in report.nudges]
    return "\n".join(lines)


@app.command("check")
def check(as_json: bool = JSON) -> None:
    """Run one follow-through pass: deliver, nudge, violate or expire open commitments."""
    from bosun.sentinel.service import Sentinel  # lazy: CLI start-up time

    output(Sentinel(project()).patrol(), as_json, _render_check)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sentinel")
