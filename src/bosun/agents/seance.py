"""The seance prompt: what a new session of an identity is told about its predecessor.

Built from the store (the prime block: identity, hook, checkpoint, resumption
instructions, unread signals, skip instructions) plus the last lines of the predecessor's
screen or transcript. Pure: the caller gathers the inputs.
"""

from __future__ import annotations

from bosun.core.prime import PrimeBlock

MAX_SCREEN_LINES = 20
MAX_LINE = 200


def build_seance_prompt(
    prime: PrimeBlock, ended: str, screen_tail: str = "", message: str | None = None
) -> str:
    """The first prompt of a restarted session.

    `ended` says how the predecessor's session ended ("crashed with exit code 3",
    "handed off at 85 % context", …); `message`, when given, is what the restart was for
    (e.g. a thread's wake-up line): it is delivered here, as part of the first prompt, so
    nobody has to type into the new session while it works.
    """
    ident = prime.identity
    lines = [
        f"[bosun seance] You are {ident.ref}, incarnation {ident.incarnation}: a new session "
        "continuing your predecessor's work. Do not start over.",
        f"Your predecessor's session ended: {ended}.",
        "",
        prime.render().rstrip(),
    ]
    tail = _tail(screen_tail)
    if tail:
        lines += ["", "## The last lines of your predecessor's screen", *tail]
    lines += [
        "",
        "Continue from the checkpoint and the resumption instructions above; phases listed "
        "as done stay done.",
    ]
    if message:
        lines += ["", "## A message for you (it is why this session was started)", message]
    return "\n".join(lines) + "\n"


def _tail(screen: str) -> list[str]:
    kept = [line.rstrip() for line in screen.splitlines() if line.strip()]
    return ["| " + line[:MAX_LINE] for line in kept[-MAX_SCREEN_LINES:]]


def first_prompt(prime: PrimeBlock) -> str:
    """The first prompt of a spawned agent with work on its hook: its prime, and go."""
    return (
        prime.render().rstrip()
        + '\n\nStart now: follow "What to do next" above without waiting for a human.\n'
    )
